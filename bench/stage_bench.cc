// stage_bench: the cost of each stage of PeerStore's data path on this machine, one thread,
// in ns per byte of file data (and µs per operation for 4 KiB random reads): the primitives
// each block suite is made of, the suites' whole seal and open, a 4 KiB read of a 64 KiB
// chunk, memcpy, and LMDB batched puts of 64 KiB values the way BlockIo writes them (8 MiB
// batches, one synced commit at the end). These are the "physical limits" that
// docs/performance.md sets the measured data path against.
//
// Usage: stage_bench [--mib N] [--lmdb-mib N] [--lmdb-only] [--dir DIR]: N MiB per measurement
// (default 256), the LMDB one apart (default the same); --lmdb-only measures LMDB alone; DIR
// for the LMDB file, default a new directory under /tmp, removed at the end. Prints markdown.
#include <sodium.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "keys/block_cipher.h"
#include "keys/block_suite_aes.h"
#include "store/lmdb_store.h"

using namespace peerstore;

namespace {

constexpr size_t kChunk = 64 << 10;

// CPU seconds this thread has used so far: user and kernel.
struct CpuTime {
  double user = 0, sys = 0;
};
CpuTime thread_cpu() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  auto sec = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
  return {sec(ru.ru_utime), sec(ru.ru_stime)};
}

double seconds_of(const std::function<void()>& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `per_chunk` over `total` bytes of 64 KiB chunks (best of 3); prints ns/byte and MB/s.
void row(const char* stage, size_t total, const std::function<void(size_t i)>& per_chunk) {
  size_t n = total / kChunk;
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep)
    best = std::min(best, seconds_of([&] {
                      for (size_t i = 0; i < n; ++i) per_chunk(i);
                    }));
  double bytes = double(n * kChunk);
  std::printf("| %s | %.3f | %.0f |\n", stage, best * 1e9 / bytes, bytes / best / 1e6);
}

// Runs `op` `n` times (best of 3); prints µs per operation.
void op_row(const char* stage, size_t n, const std::function<void(size_t i)>& op) {
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep)
    best = std::min(best, seconds_of([&] {
                      for (size_t i = 0; i < n; ++i) op(i);
                    }));
  std::printf("| %s | %.2f µs/op | %.0f ops/s |\n", stage, best * 1e6 / double(n),
              double(n) / best);
}

// LMDB: `total` bytes of 64 KiB values in 8 MiB unsynced batches, one synced commit at the end
// (BlockIo's pattern), into a fresh store in `dir`. Prints its table; false on an error.
bool lmdb_rows(const std::string& dir, size_t total) {
  auto store = LmdbStore::open(dir);
  if (!store) {
    std::fprintf(stderr, "stage_bench: %s\n", store.error().message().c_str());
    return false;
  }
  size_t n = total / kChunk, per_batch = (8 << 20) / kChunk;
  std::vector<Bytes> values(per_batch, Bytes(kChunk + 256));
  for (auto& v : values) randombytes_buf(v.data(), v.size());
  uint64_t serial = 0;
  bool ok = true;
  CpuTime c0 = thread_cpu();
  double t = seconds_of([&] {
    for (size_t done = 0; done < n && ok; done += per_batch) {
      WriteBatch wb;
      wb.durable = done + per_batch >= n;
      for (size_t j = 0; j < per_batch; ++j) {
        BlockId id;
        ++serial;
        std::memcpy(id.b.data(), &serial, sizeof serial);
        wb.blocks.push_back({id, values[j]});
      }
      if (auto st = (*store)->write(wb); !st) {
        std::fprintf(stderr, "stage_bench: %s\n", st.error().message().c_str());
        ok = false;
      }
    }
  });
  CpuTime c1 = thread_cpu();
  if (!ok) return false;
  // Wall time includes waiting for the disk; the CPU columns are what the data path's profile
  // (CPU time per stage) is set against. The kernel's share depends on how much was written:
  // on this VM the first write into a page the guest has not touched lately costs several
  // times a memcpy, so compare at the size the profile wrote.
  double bytes = double(n * kChunk);
  std::printf(
      "| LMDB (one thread, %zu MiB) | wall ns/byte | CPU ns/byte: user | kernel | MB/s |\n"
      "|---|---|---|---|---|\n",
      total >> 20);
  std::printf("| batched puts of 64 KiB values, synced at the end | %.3f | %.3f | %.3f | %.0f |\n",
              t * 1e9 / bytes, (c1.user - c0.user) * 1e9 / bytes, (c1.sys - c0.sys) * 1e9 / bytes,
              bytes / t / 1e6);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 256, lmdb_mib = 0;
  bool lmdb_only = false;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--mib" && has_value)
      mib = std::stoul(argv[++i]);
    else if (a == "--lmdb-mib" && has_value)
      lmdb_mib = std::stoul(argv[++i]);
    else if (a == "--dir" && has_value)
      dir = argv[++i];
    else if (a == "--lmdb-only")
      lmdb_only = true;
    else {
      std::fprintf(stderr,
                   "usage: stage_bench [--mib N] [--lmdb-mib N] [--lmdb-only] [--dir DIR]\n");
      return 2;
    }
  }
  if (lmdb_mib == 0) lmdb_mib = mib;
  bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/stage_bench.XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    dir = tmpl;
  }
  if (sodium_init() < 0) return 1;
  if (lmdb_only) {
    bool ok = lmdb_rows(dir, lmdb_mib << 20);
    if (own_dir) std::filesystem::remove_all(dir);
    return ok ? 0 : 1;
  }
  const size_t total = mib << 20;
  // A small working set (it stays in cache, as a chunk being sealed does) of random bytes.
  constexpr size_t kSet = 16;
  std::vector<Bytes> plain(kSet, Bytes(kChunk));
  for (auto& p : plain) randombytes_buf(p.data(), p.size());
  Bytes secret_bytes(32);
  randombytes_buf(secret_bytes.data(), 32);
  Secret secret(secret_bytes);
  Bytes out(kChunk + 4096), out2(kChunk + 4096);
  uint8_t h[32];

  std::printf("| stage (one thread, 64 KiB chunks) | ns/byte | MB/s |\n|---|---|---|\n");
  {
    // Copies stream through memory (64 MiB apart), as a chunk copied from a FUSE buffer does.
    constexpr size_t kBig = 64 << 20;
    Bytes from(kBig, 1), to(kBig, 2);
    row("memcpy (64 MiB working set)", total, [&](size_t i) {
      size_t at = (i * kChunk) % kBig;
      std::memcpy(to.data() + at, from.data() + at, kChunk);
    });
  }
  row("BLAKE2b-256 keyed (suite 1 key)", total, [&](size_t i) {
    crypto_generichash(h, 32, plain[i % kSet].data(), kChunk, secret.data(), secret.size());
  });
  row("XChaCha20-Poly1305 (suite 1 cipher)", total, [&](size_t i) {
    unsigned long long n = 0;
    static const uint8_t nonce[24] = {};
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &n, plain[i % kSet].data(), kChunk,
                                               nullptr, 0, nullptr, nonce, h);
  });
  row("BLAKE2b-256 (suite 1 id)", total,
      [&](size_t i) { crypto_generichash(h, 32, plain[i % kSet].data(), kChunk, nullptr, 0); });
  row("HMAC-SHA-256 (suite 2 key)", total,
      [&](size_t i) { suite2::derive_key(plain[i % kSet], secret, h); });
  row("AES-256-GCM, 4 KiB segments (suite 2 cipher)", total,
      [&](size_t i) { suite2::seal(plain[i % kSet], h, out.data()); });
  row("SHA-256 (suite 2 id)", total, [&](size_t i) { suite2::sha256(plain[i % kSet], h); });
  for (BlockSuite s : {BlockSuite::xchacha_blake2b, BlockSuite::aes_gcm_sha256}) {
    std::string name = "seal_block, suite " + std::to_string(int(s));
    row(name.c_str(), total,
        [&](size_t i) { seal_block_into(plain[i % kSet], secret, out.data(), s); });
  }
  for (BlockSuite s : {BlockSuite::xchacha_blake2b, BlockSuite::aes_gcm_sha256}) {
    SealedBlock b = seal_block(plain[0], secret, s);
    std::string name = "open_block (whole chunk), suite " + std::to_string(int(s));
    row(name.c_str(), total,
        [&](size_t) { (void)open_block_into(b.ciphertext, b.ptr, out.data()); });
  }
  std::printf("\n| random read (one thread) | cost | rate |\n|---|---|---|\n");
  for (BlockSuite s : {BlockSuite::xchacha_blake2b, BlockSuite::aes_gcm_sha256}) {
    SealedBlock b = seal_block(plain[0], secret, s);
    std::string name = "4 KiB read of a 64 KiB chunk, suite " + std::to_string(int(s));
    op_row(name.c_str(), 20000, [&](size_t i) {
      size_t copied = 0, lo = (i * 7919 % 16) * 4096;
      (void)open_block_range(b.ciphertext, b.ptr, lo, lo + 4096, out2.data(), &copied);
    });
  }

  std::printf("\n");
  bool ok = lmdb_rows(dir, lmdb_mib << 20);
  if (own_dir) std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
