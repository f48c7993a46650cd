// SpaceBudget: decides whether the file system may accept more, so that everything it accepts
// fits in its store. A write the store later could not take would be lost: the program was
// told it succeeded (with the kernel's writeback cache, even before we saw it). So file data
// is refused with ENOSPC up front, as ext4 reserves blocks for delayed allocation, and a
// reserve is kept for metadata: names, attributes, and the commits that record them (deletes
// included) go on after file data no longer fits.
//
// It counts what the store has free (asked at most every max_age, and at once when the margin
// is thin) against what the file system accepted and has not stored yet: between two looks,
// against the last look's free and unstored bytes plus everything admitted since (bytes
// stored meanwhile left both). Not thread-safe: the file system calls it under its tree lock.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "store/local_store.h"

namespace peerstore {

class SpaceBudget {
 public:
  using Probe = std::function<Result<StoreSpace>()>;
  using Clock = std::chrono::steady_clock;

  // `slack` is kept free beside the reserve, against errors in what a block costs the store.
  explicit SpaceBudget(Probe probe,
                       std::chrono::milliseconds max_age = std::chrono::milliseconds(1000),
                       uint64_t slack = 0);

  // May `more` bytes of file data be accepted beside `unstored` bytes accepted and not stored
  // yet, keeping the reserve free? A store that cannot say how much it has left admits (its
  // write then fails cleanly by itself).
  bool admit_data(uint64_t unstored, uint64_t more);
  // May a metadata change (a new name, link or attribute) be made? It may use half the reserve
  // and the slack.
  bool admit_metadata(uint64_t unstored);
  // The reserve for a store of `total` bytes: 2 % of it, at least 4 MiB and at most 256 MiB.
  static uint64_t reserve_for(uint64_t total);
  // The last free space seen (0 before the first look).
  uint64_t last_free() const { return last_.free; }
  // Why the last refusal refused, for the log: "N KiB free, N KiB accepted and not stored yet,
  // N KiB asked, N KiB reserve". Empty before any refusal.
  const std::string& last_refusal() const { return refusal_; }

 private:
  bool admit(uint64_t unstored, uint64_t more, bool metadata);

  Probe probe_;
  std::chrono::milliseconds max_age_;
  uint64_t slack_;
  StoreSpace last_{.free = 0, .total = 0};
  bool probed_ = false;
  Clock::time_point probed_at_;
  uint64_t unstored_then_ = 0;  // at the last look
  std::string refusal_;
  uint64_t admitted_since_ = 0;
};

}  // namespace peerstore
