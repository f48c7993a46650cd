#include "host/mount_collector.h"

#include "common/log.h"
#include "common/thread_name.h"
#include "common/wall_clock.h"
#include "fs/retention.h"

namespace peerstore::host {

MountCollector::MountCollector(CollectionSources sources, Options options)
    : sources_(std::move(sources)), options_(options) {
  sources_.stop = &stop_flag_;
  next_periodic_ = Clock::now() + options_.interval;
  thread_ = std::thread([this] { run(); });
}

MountCollector::~MountCollector() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_flag_ = true;
  wake_.notify_all();
  done_.notify_all();
  thread_.join();
}

void MountCollector::removed() {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  // Only the first removal of a burst can bring the next run closer (a later one moves it
  // later, which the thread sees when it wakes at the earlier time anyway), and so only it
  // wakes the thread: rm -rf called this under the file system's lock once per file, and a
  // wake-up per file cost more than the unlink.
  bool wake = !first_removal_ || idle_under_pressure_;
  if (!first_removal_) first_removal_ = now;
  last_removal_ = now;
  idle_under_pressure_ = false;
  if (wake) wake_.notify_all();
}

Result<CollectionReport> MountCollector::run_now() {
  std::unique_lock lock(mu_);
  uint64_t ticket = ++asked_;
  wake_.notify_all();
  done_.wait(lock, [&] { return finished_ >= ticket || stop_; });
  if (finished_ < ticket || !last_result_)
    return fail(Errc::unavailable, "the mount is stopping: no collection ran");
  return *last_result_;
}

MountCollector::Stats MountCollector::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void MountCollector::run() {
  name_this_thread("collector");
  std::unique_lock lock(mu_);
  next_pressure_check_ = Clock::now() + options_.pressure_check;
  while (!stop_) {
    Clock::time_point due = next_periodic_;
    if (first_removal_)
      due = std::min({due, *last_removal_ + options_.delay, *first_removal_ + options_.max_delay});
    if (follow_up_) due = std::min(due, *follow_up_);
    if (sources_.under_pressure && Clock::now() >= next_pressure_check_) {
      next_pressure_check_ = Clock::now() + options_.pressure_check;
      lock.unlock();
      bool pressed = sources_.under_pressure();
      lock.lock();
      if (pressed && !idle_under_pressure_ && Clock::now() - last_run_ >= options_.pressure_check)
        due = Clock::now();
    }
    if (asked_ == finished_ && Clock::now() < due) {
      wake_.wait_until(lock, sources_.under_pressure ? std::min(due, next_pressure_check_) : due);
      ++stats_.wakeups;
      continue;
    }
    uint64_t ticket = asked_;
    first_removal_.reset();
    last_removal_.reset();
    follow_up_.reset();
    lock.unlock();
    collect_once();
    lock.lock();
    last_run_ = Clock::now();
    next_periodic_ = last_run_ + options_.interval;
    finished_ = ticket;
    done_.notify_all();
  }
}

void MountCollector::follow_up() {
  follow_up_delay_ = follow_up_delay_ == Clock::duration{}
                         ? Clock::duration(options_.delay)
                         : std::min<Clock::duration>(2 * follow_up_delay_, options_.interval);
  follow_up_ = Clock::now() + follow_up_delay_;
}

void MountCollector::collect_once() {
  Result<CollectionReport> r = collect(sources_, wall_clock_ns());
  // Asked before the lock: removed() must never wait on the store.
  bool pressed = r && sources_.under_pressure && sources_.under_pressure();
  std::lock_guard lock(mu_);
  ++stats_.runs;
  if (r) {
    stats_.last = *r;
    stats_.last_ns = wall_clock_ns();
    if (r->thinned)
      log::warn("space is low: " + std::to_string(r->thinned) + " automatic snapshots older than " +
                version_time_name(r->floor_ns) +
                " were dropped, the oldest first, to give their space back; pinned versions and "
                "the current one stay");
    if (r->erased || r->cancelled) log::info("collected: " + describe(*r));
    if (r->linked_failed && r->linked_error != last_linked_error_)
      log::warn("collection kept every claim of " + std::to_string(r->linked_failed) +
                " shared folders, which it could not mark: " + r->linked_error +
                "; it tries again at the next run");
    last_linked_error_ = r->linked_error;
    idle_under_pressure_ = pressed && !r->thinned && !r->erased && !r->cancelled;
    if (r->behind || r->waiting)
      follow_up();
    else
      follow_up_delay_ = {};
    last_error_.clear();
  } else {
    ++stats_.failures;
    if (follow_up_delay_ != Clock::duration{}) follow_up();  // the chain goes on, further apart
    std::string why = r.error().message();
    if (why != last_error_ && !stop_)
      log::warn("collection skipped, nothing erased: " + why + "; it runs again later");
    last_error_ = why;
  }
  last_result_ = std::move(r);
}

}  // namespace peerstore::host
