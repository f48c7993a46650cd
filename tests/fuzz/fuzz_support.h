// Shared pieces of the libFuzzer targets: the seed-writing mode every target has, a check that
// turns a broken invariant into a crash the fuzzer reports, fixed keys, and helpers to
// serve fuzzed blocks to the tree decoders from a MemoryStore. Single-threaded, like libFuzzer.
#pragma once

#include <string>
#include <vector>

#include "fs/block_io.h"
#include "keys/block_cipher.h"
#include "keys/signed_head.h"
#include "keys/volume_keys.h"
#include "store/memory_store.h"

namespace peerstore::fuzz {

// Collects a target's seed inputs: real encoded objects, written to the corpus directory when
// the target runs with PEERSTORE_FUZZ_SEEDS=DIR (tests/fuzz/make_seeds.sh).
class Seeds {
 public:
  explicit Seeds(std::string dir) : dir_(std::move(dir)) {}
  void add(const std::string& name, ByteView bytes);
  size_t count() const { return count_; }

 private:
  std::string dir_;
  size_t count_ = 0;
};

// Each target defines this: the seeds it starts from.
void make_seeds(Seeds& seeds);

// Aborts with `what` when an invariant of the decoder does not hold: libFuzzer records the
// input as a crash.
void check(bool ok, const char* what);

// The same keys in every run, so seeds stay valid: a secret of 32 `fill` bytes.
Secret fixed_secret(uint8_t fill);
const VolumeKeys& fixed_volume();
const PublicKey& fixed_device();
// Real signed heads of the fixed volume: a first commit, a descendant with a two-device clock,
// and a sibling of the descendant. Seeds of the head targets.
std::vector<Head> real_heads();

// The store and BlockIo (fixed volume) of the block-reading targets: one for the whole run, as a
// BlockIo starts a thread. clear() empties the store between inputs.
MemoryStore& shared_store();
BlockIo& shared_io();
void clear(MemoryStore& store);
// Seals `plaintext` under the fixed volume's convergence secret and stores it.
BlockPtr add_sealed(MemoryStore& store, ByteView plaintext);

}  // namespace peerstore::fuzz
