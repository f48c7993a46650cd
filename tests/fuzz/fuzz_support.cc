// Shared pieces of the libFuzzer targets (see fuzz_support.h), and the libFuzzer initializer
// that runs a target's seed-writing mode.
#include "fuzz_support.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace peerstore::fuzz {

void Seeds::add(const std::string& name, ByteView bytes) {
  std::string path = dir_ + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!f) {
    std::fprintf(stderr, "cannot write seed %s\n", path.c_str());
    std::exit(1);
  }
  ++count_;
}

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

Secret fixed_secret(uint8_t fill) {
  Secret s(32);
  std::memset(s.data(), fill, s.size());
  return s;
}

const VolumeKeys& fixed_volume() {
  static const VolumeKeys keys{SigningKey::from_seed(fixed_secret(1)), fixed_secret(2),
                               fixed_secret(3)};
  return keys;
}

const PublicKey& fixed_device() {
  static const PublicKey device = SigningKey::from_seed(fixed_secret(4)).public_key();
  return device;
}

std::vector<Head> real_heads() {
  const VolumeKeys& keys = fixed_volume();
  BlockPtr root;
  root.id.b.fill(0x11);
  root.key.fill(0x22);
  Id256 other;
  other.b.fill(0xee);
  Head first = Head::make(keys, root, {{fixed_device(), 1}}, {}, fixed_device(), 1000);
  Head second = Head::make(keys, root, {{fixed_device(), 2}, {other, 5}}, {first.hash()},
                           fixed_device(), 2000);
  Head sibling =
      Head::make(keys, root, {{fixed_device(), 1}, {other, 6}}, {first.hash()}, other, 2001);
  return {first, second, sibling};
}

void MemoryBlocks::clear() {
  std::lock_guard lock(mu_);
  blocks_.clear();
  heads_.clear();
}

BlockPtr MemoryBlocks::add_sealed(ByteView plaintext) {
  SealedBlock s = seal_block(plaintext, fixed_volume().convergence);
  std::lock_guard lock(mu_);
  blocks_[s.ptr.id] = std::move(s.ciphertext);
  return s.ptr;
}

Result<Bytes> MemoryBlocks::get(const BlockId& id) {
  std::lock_guard lock(mu_);
  auto it = blocks_.find(id);
  if (it == blocks_.end()) return fail(Errc::not_found, id.short_hex());
  return it->second;
}

Result<bool> MemoryBlocks::contains(const BlockId& id) {
  std::lock_guard lock(mu_);
  return blocks_.count(id) > 0;
}

Status MemoryBlocks::for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) {
  std::lock_guard lock(mu_);
  for (auto& [id, b] : blocks_)
    if (!fn(id, b.size())) break;
  return {};
}

Result<std::vector<Bytes>> MemoryBlocks::heads(const VolumeId& volume) {
  std::lock_guard lock(mu_);
  auto it = heads_.find(volume);
  return it == heads_.end() ? std::vector<Bytes>{} : it->second;
}

Status MemoryBlocks::for_each_volume(const std::function<bool(const VolumeId&)>& fn) {
  std::lock_guard lock(mu_);
  for (auto& [v, h] : heads_)
    if (!fn(v)) break;
  return {};
}

Status MemoryBlocks::write(const WriteBatch& batch) {
  std::lock_guard lock(mu_);
  for (auto& id : batch.erase) blocks_.erase(id);
  for (auto& b : batch.blocks) blocks_.emplace(b.id, Bytes(b.data.begin(), b.data.end()));
  for (auto& [v, h] : batch.heads) heads_[v] = h;
  return {};
}

Result<StoreStats> MemoryBlocks::stats() {
  std::lock_guard lock(mu_);
  StoreStats s;
  for (auto& [id, b] : blocks_) {
    ++s.blocks;
    s.block_bytes += b.size();
  }
  return s;
}

}  // namespace peerstore::fuzz

// Runs once before fuzzing. With PEERSTORE_FUZZ_SEEDS=DIR the target writes its seeds there and
// exits instead of fuzzing.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  const char* dir = std::getenv("PEERSTORE_FUZZ_SEEDS");
  if (!dir || !*dir) return 0;
  ::mkdir(dir, 0755);
  peerstore::fuzz::Seeds seeds(dir);
  peerstore::fuzz::make_seeds(seeds);
  std::printf("%zu seeds written to %s\n", seeds.count(), dir);
  std::exit(0);
}
