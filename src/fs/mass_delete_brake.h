// MassDeleteBrake: when a burst of removals is a mass deletion (docs/lifecycle.md, The brake on
// mass deletion). Fed the times at which files were removed or truncated on this computer, and
// where (a number per name or file: an editor saving one file over and over removes the old
// one each time, at one place), it keeps those of a sliding window; a window that holds at
// least kMinRemovals distinct places, and either `files` or more, or more than `percent` % of
// the files the tree had before the window, trips the brake: its owner pins the version before
// the window. A tripped brake stays
// quiet until the burst is over (a whole window without removals), so one `rm -rf` costs one
// pin, however long it runs. Pure logic: the caller counts the files and makes the pin
// (host/mass_delete_watch.h). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace peerstore {

struct BrakeConfig {
  bool on = true;                    // -o brake=off turns it off
  unsigned percent = 30;             // -o brake_percent: of the files before the window
  uint64_t files = 10000;            // -o brake_files: whatever the tree's size
  std::chrono::seconds window{600};  // how close together removals count as one burst
  bool operator==(const BrakeConfig&) const = default;
};

class MassDeleteBrake {
 public:
  // Fewer removals than this never trip the brake: clearing out a small folder is not a mass
  // deletion, whatever its share of a small tree.
  static constexpr uint64_t kMinRemovals = 50;

  explicit MassDeleteBrake(BrakeConfig config) : cfg_(config) {}

  // A file removed or truncated at `time_ns` (times come in order; an earlier one counts as
  // now), at place `where`.
  void removed(int64_t time_ns, uint64_t where);
  // Distinct places removed in the window that ends at the last removal.
  uint64_t in_window() const { return places_.size(); }
  // The time of the window's first removal: the version to pin is the last one before it.
  std::optional<int64_t> window_start() const;
  // Whether the window would trip the brake given the files the tree had before it (asked only
  // once in_window() reaches kMinRemovals, so the caller counts files only then).
  bool counting_due() const;
  bool trips(uint64_t files_before) const;
  // The brake tripped and its pin was made: quiet until a window passes without removals.
  void tripped();
  bool quiet() const { return quiet_; }

 private:
  BrakeConfig cfg_;
  std::deque<std::pair<int64_t, uint64_t>> times_;  // (time, place), oldest first
  std::map<uint64_t, uint64_t> places_;             // place -> removals of it in times_
  int64_t last_ = 0;
  bool quiet_ = false;
};

}  // namespace peerstore
