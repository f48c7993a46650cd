// Fuzz target: opening a block, as BlockIo does with every block read from the store or the
// network: open_block, open_block_into and open_block_range under a fixed key in both suites,
// and BlockPtr::decode (the pointers inside tree nodes and heads). Also seals the input in both
// suites and checks that it opens back to the same plaintext, with the id its hash.
#include <algorithm>
#include <cstring>

#include "fuzz_support.h"
#include "keys/block_cipher.h"

using namespace peerstore;

namespace {

constexpr BlockSuite kSuites[] = {BlockSuite::xchacha_blake2b, BlockSuite::aes_gcm_sha256};

BlockPtr fixed_ptr(BlockSuite suite) {
  BlockPtr p;
  p.key.fill(7);
  p.suite = suite;
  return p;
}

void check_open(ByteView in, BlockSuite suite, size_t lo, size_t hi) {
  const BlockPtr ptr = fixed_ptr(suite);
  auto opened = open_block(in, ptr);
  fuzz::check(opened || opened.code() == Errc::corrupt, "a block error other than corrupt");
  auto size = opened_size(suite, in.size());
  fuzz::check(size || !opened, "a block of an impossible size opens");
  if (!size) return;
  Bytes out(*size);
  auto st = open_block_into(in, ptr, out.data());
  fuzz::check(st.ok() == opened.ok(), "open_block and open_block_into disagree");
  if (st) fuzz::check(out == *opened, "open_block and open_block_into differ");
  // A range: what it returns is what the whole block holds there; a whole block that opens has
  // every range open.
  Bytes part(hi > lo ? hi - lo : 0);
  size_t copied = 0;
  auto pst = open_block_range(in, ptr, lo, hi, part.data(), &copied);
  fuzz::check(pst || pst.code() == Errc::corrupt, "a range error other than corrupt");
  fuzz::check(pst || !opened, "a range of a block that opens fails");
  if (pst && opened) {
    size_t want = lo >= *size ? 0 : std::min(hi, *size) - lo;
    fuzz::check(copied == want, "a range copies the wrong length");
    fuzz::check(std::memcmp(part.data(), opened->data() + std::min(lo, *size), copied) == 0,
                "a range differs from the whole block");
  }
}

}  // namespace

namespace peerstore::fuzz {
// Real sealed blocks of both suites (chunks of several sizes, an empty one, several segments)
// and their pointers.
void make_seeds(Seeds& seeds) {
  for (BlockSuite suite : kSuites) {
    std::string tag = "s" + std::to_string(int(suite)) + "-";
    for (size_t n : {0, 1, 100, 4096, 9000}) {
      Bytes plain(n);
      for (size_t i = 0; i < n; ++i) plain[i] = uint8_t(i * 7);
      SealedBlock s = seal_block(plain, fixed_volume().convergence, suite);
      seeds.add(tag + "sealed-" + std::to_string(n), s.ciphertext);
      uint8_t ptr[BlockPtr::kMaxEncodedSize];
      s.ptr.encode_to(ptr);
      seeds.add(tag + "ptr-of-" + std::to_string(n), ByteView(ptr, s.ptr.encoded_size()));
    }
  }
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  // The range to read comes from the input's length, so every input tries a different one.
  size_t lo = size * 7 % (size + 1), hi = lo + size % 5000;
  for (BlockSuite suite : kSuites) check_open(in, suite, lo, hi);

  auto ptr = BlockPtr::decode(in);
  fuzz::check(ptr.ok() == (size == 64 || (size == 65 && data[0] == 2)),
              "a pointer of the wrong size or suite decodes");
  if (ptr) {
    uint8_t enc[BlockPtr::kMaxEncodedSize];
    fuzz::check(ptr->encoded_size() == size, "a pointer re-encodes to another size");
    ptr->encode_to(enc);
    fuzz::check(std::memcmp(enc, data, size) == 0, "a pointer does not re-encode to its bytes");
  }

  for (BlockSuite suite : kSuites) {
    SealedBlock s = seal_block(in, fuzz::fixed_volume().convergence, suite);
    fuzz::check(
        s.ptr.id == hash_block(s.ciphertext, suite) && block_id_matches(s.ptr.id, s.ciphertext),
        "a block id is not its ciphertext's hash");
    auto back = open_block(s.ciphertext, s.ptr);
    fuzz::check(
        back && ByteView(*back).size() == size && std::equal(back->begin(), back->end(), data),
        "a sealed block does not open to its plaintext");
  }
  return 0;
}
