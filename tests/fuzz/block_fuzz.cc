// Fuzz target: opening a block, as BlockIo does with every block read from the store or the
// network: open_block and open_block_into under a fixed key, and BlockPtr::decode (the
// pointers inside tree nodes and heads). Also seals the input and checks that it opens back to
// the same plaintext, with the id its hash.
#include <cstring>

#include "fuzz_support.h"
#include "keys/block_cipher.h"

using namespace peerstore;

namespace {

BlockKey fixed_key() {
  BlockKey k;
  k.fill(7);
  return k;
}

}  // namespace

namespace peerstore::fuzz {
// Real sealed blocks (chunks of several sizes and an empty one) and their pointers.
void make_seeds(Seeds& seeds) {
  for (size_t n : {0, 1, 100, 4096}) {
    Bytes plain(n);
    for (size_t i = 0; i < n; ++i) plain[i] = uint8_t(i * 7);
    SealedBlock s = seal_block(plain, fixed_volume().convergence);
    seeds.add("sealed-" + std::to_string(n), s.ciphertext);
    uint8_t ptr[BlockPtr::kEncodedSize];
    s.ptr.encode_to(ptr);
    seeds.add("ptr-of-" + std::to_string(n), ByteView(ptr, sizeof ptr));
  }
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  static const BlockKey key = fixed_key();
  auto opened = open_block(in, key);
  fuzz::check(opened || opened.code() == Errc::corrupt, "a block error other than corrupt");
  if (size >= kSealOverhead) {
    Bytes out(size - kSealOverhead);
    auto st = open_block_into(in, key, out.data());
    fuzz::check(st.ok() == opened.ok(), "open_block and open_block_into disagree");
    if (st) fuzz::check(out == *opened, "open_block and open_block_into differ");
  }

  auto ptr = BlockPtr::decode(in);
  fuzz::check(ptr.ok() == (size == BlockPtr::kEncodedSize), "a pointer of the wrong size decodes");
  if (ptr) {
    uint8_t enc[BlockPtr::kEncodedSize];
    ptr->encode_to(enc);
    fuzz::check(std::memcmp(enc, data, size) == 0, "a pointer does not re-encode to its bytes");
  }

  SealedBlock s = seal_block(in, fuzz::fixed_volume().convergence);
  fuzz::check(s.ptr.id == hash_block(s.ciphertext), "a block id is not its ciphertext's hash");
  auto back = open_block(s.ciphertext, s.ptr.key);
  fuzz::check(
      back && ByteView(*back).size() == size && std::equal(back->begin(), back->end(), data),
      "a sealed block does not open to its plaintext");
  return 0;
}
