// MassDeleteWatch: the brake on mass deletion in a mount (docs/lifecycle.md). The home file
// system tells it of every removal and truncation (FileSystem::set_removal_sink); on a thread of
// its own it feeds them to a MassDeleteBrake, and when the brake trips it pins the last version
// committed before the burst began as `before-mass-delete-TIME` (fs/pins.h), logs one warning
// that says how to undo or drop it, and tells `on_pin` (the mount records it for
// `peerstore status`). To know the tree's size before the burst it counts the files of that
// version (its inode table, read once per version) only when a burst is large enough to
// matter. Thread-safe: removed() from any thread (under the file system's lock: it only queues).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "fs/file_system.h"
#include "fs/mass_delete_brake.h"
#include "fs/pins.h"

namespace peerstore::host {

class MassDeleteWatch {
 public:
  struct Tripped {
    Pin pin;
    uint64_t removed = 0;       // files removed or truncated in the burst so far
    uint64_t files_before = 0;  // files the pinned version has
  };
  using OnPin = std::function<void(const Tripped&)>;

  // `store`, `fs` (the home volume's file system, over `store`) must outlive this; `keys`: the
  // home volume's. Does nothing but queue while `config.on` is false.
  MassDeleteWatch(LocalStore& store, VolumeKeys keys, PublicKey device, FileSystem& fs,
                  BrakeConfig config, OnPin on_pin = nullptr);
  ~MassDeleteWatch();  // stops the thread; clear the file system's sink first
  MassDeleteWatch(const MassDeleteWatch&) = delete;
  MassDeleteWatch& operator=(const MassDeleteWatch&) = delete;

  // The file system's removal sink.
  void removed(int64_t time_ns, uint64_t where);
  // Waits until every removal queued so far is weighed (tests).
  void settle();
  // How many passes the thread has made over queued removals: a burst of removals takes a
  // few, not one each (tests).
  uint64_t passes() const;

 private:
  void run();
  // On the thread: the brake tripped or may have; pins when it did.
  void weigh();
  // The newest version of the home volume committed before `time_ns`, and its file count.
  Result<std::pair<Head, uint64_t>> version_before(int64_t time_ns);

  LocalStore& store_;
  const VolumeKeys keys_;
  const PublicKey device_;
  FileSystem& fs_;
  const BrakeConfig config_;
  const OnPin on_pin_;
  MassDeleteBrake brake_;  // on the thread only
  // On the thread: the last answer of version_before, by the time asked (a burst's windows
  // mostly start at its first removal, so the history is walked and counted once a burst).
  std::optional<std::pair<int64_t, std::pair<Head, uint64_t>>> last_before_;

  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  uint64_t passes_ = 0;  // guarded by mu_
  std::vector<std::pair<int64_t, uint64_t>> queued_;
  bool busy_ = false;  // the thread gathers or weighs removals; it looks at queued_ after
  static constexpr std::chrono::milliseconds kGather{20};
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace peerstore::host
