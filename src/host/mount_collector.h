// MountCollector: a mount's local collection (host/collection.h) on a thread of its own, at the
// times space may have come free: `delay` after the last removal or truncation the file system
// reported (at most `max_delay` after the first of a burst, so a long `rm -rf` is collected while
// it runs), and every `interval`, since versions leave retention as time passes. One run at a
// time; a failed run is logged (once while it fails the same way) and the next trigger tries
// again. While the store is short of space (CollectionSources::under_pressure, asked every
// `pressure_check`) it runs every `pressure_check` too, thinning automatic snapshots, until a
// run under pressure finds nothing more to do (then only a removal starts one again). A run
// that found uploads behind (blocks it had to keep, claims of its commit not yet sent: see
// CollectionSources::uploaded) runs again `delay` later, then twice as late each time, up to
// `interval`, until one finds them caught up: what those uploads held back comes back soon after
// they are done, not an hour later.
// Thread-safe: removed() from any thread, quick (the file system calls it under its lock).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "host/collection.h"

namespace peerstore::host {

class MountCollector {
 public:
  struct Options {
    std::chrono::milliseconds delay{std::chrono::seconds(10)};
    std::chrono::milliseconds max_delay{std::chrono::seconds(60)};
    std::chrono::milliseconds interval{std::chrono::hours(1)};
    std::chrono::milliseconds pressure_check{std::chrono::seconds(15)};
  };
  struct Stats {
    uint64_t runs = 0, failures = 0;
    uint64_t wakeups = 0;   // times the thread woke to look at the time (removals, runs asked)
    CollectionReport last;  // of the last run that succeeded
    int64_t last_ns = 0;    // when it ended (wall clock); 0: none yet
  };

  // What `sources` name must outlive this; its `stop` is set by this object.
  MountCollector(CollectionSources sources, Options options);
  // Stops the thread; a run in progress ends at its next step.
  ~MountCollector();
  MountCollector(const MountCollector&) = delete;
  MountCollector& operator=(const MountCollector&) = delete;

  // The file system's removal sink (with the brake's): a run within `delay`.
  void removed();
  // Runs one collection on the thread now and waits for it (tests, `peerstore` later).
  Result<CollectionReport> run_now();
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  void collect_once();  // on the thread, mu_ not held
  void follow_up();     // mu_ held: the next run of a follow-up chain

  CollectionSources sources_;
  const Options options_;
  std::atomic<bool> stop_flag_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_, done_;
  std::optional<Clock::time_point> first_removal_, last_removal_;
  Clock::time_point next_periodic_;
  Clock::time_point next_pressure_check_, last_run_;
  bool idle_under_pressure_ = false;            // the last run was under pressure and found nothing
  std::optional<Clock::time_point> follow_up_;  // uploads were behind: another run then
  Clock::duration follow_up_delay_{};           // the last one's distance; doubles
  uint64_t asked_ = 0, finished_ = 0;           // run_now: tickets
  std::optional<Result<CollectionReport>> last_result_;
  Stats stats_;
  std::string last_error_;         // logged once while it repeats
  std::string last_linked_error_;  // the same for a shared folder not marked
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace peerstore::host
