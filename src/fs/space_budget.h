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
// stored meanwhile left both). A quick look may count bytes being stored twice (as used and as
// unstored), so one that would refuse is taken again settled, which is exact, before refusing.
// Not thread-safe: the file system calls it under its tree lock.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "store/local_store.h"

namespace peerstore {

class SpaceBudget {
 public:
  // A look at the store: what it can take, and what was accepted and not stored yet.
  struct Look {
    StoreSpace space;
    uint64_t unstored = 0;
  };
  // `settled`: exact, even if it has to wait for a store write in progress.
  using Probe = std::function<Result<Look>(bool settled)>;
  using Clock = std::chrono::steady_clock;

  // `slack` is kept free beside the reserve, against errors in what a block costs the store.
  explicit SpaceBudget(Probe probe,
                       std::chrono::milliseconds max_age = std::chrono::milliseconds(1000),
                       uint64_t slack = 0);

  // May `more` bytes of file data be accepted beside what is accepted and not stored yet,
  // keeping the reserve free? A store that cannot say how much it has left admits (its write
  // then fails cleanly by itself).
  bool admit_data(uint64_t more);
  // May a metadata change (a new name, link or attribute) be made? It may use half the reserve
  // and the slack.
  bool admit_metadata();
  // The reserve for a store of `total` bytes: 2 % of it, at least 4 MiB and at most 256 MiB.
  static uint64_t reserve_for(uint64_t total);
  // The last free space seen (0 before the first look).
  uint64_t last_free() const { return last_.space.free; }
  // Why the last refusal refused, for the log: "N KiB free, N KiB accepted and not stored yet,
  // N KiB asked, N KiB reserve". Empty before any refusal.
  const std::string& last_refusal() const { return refusal_; }

 private:
  bool admit(uint64_t more, bool metadata);
  bool look(bool settled);

  Probe probe_;
  std::chrono::milliseconds max_age_;
  uint64_t slack_;
  Look last_{.space = {.free = 0, .total = 0}};
  bool probed_ = false;
  Clock::time_point probed_at_;
  std::string refusal_;
  uint64_t admitted_since_ = 0;
};

}  // namespace peerstore
