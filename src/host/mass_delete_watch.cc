#include "host/mass_delete_watch.h"

#include "common/log.h"
#include "common/wall_clock.h"
#include "fs/head_history.h"
#include "fs/inode_record.h"
#include "fs/node_table.h"
#include "fs/retention.h"
#include "fs/trie_map.h"
#include "fs/version_view.h"

namespace peerstore::host {
namespace {

// The regular files of a version: its inode table's file records.
Result<uint64_t> count_files(Volume& volume, const Head& head) {
  PS_ASSIGN(auto table, volume.table_of(head));
  if (!table) return uint64_t(0);
  uint64_t files = 0;
  PS_TRY(TrieMap::walk(
      volume.io(), *table, [](const BlockPtr&) { return true; },
      [&](uint64_t, ByteView, ByteView value) -> Status {
        PS_ASSIGN(auto rec, InodeRecord::decode(value));
        if (rec.is_file() && rec.nlink > 0) ++files;
        return {};
      }));
  return files;
}

}  // namespace

MassDeleteWatch::MassDeleteWatch(LocalStore& store, VolumeKeys keys, PublicKey device,
                                 FileSystem& fs, BrakeConfig config, OnPin on_pin)
    : store_(store),
      keys_(std::move(keys)),
      device_(device),
      fs_(fs),
      config_(config),
      on_pin_(std::move(on_pin)),
      brake_(config) {
  thread_ = std::thread([this] { run(); });
}

MassDeleteWatch::~MassDeleteWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MassDeleteWatch::removed(int64_t time_ns, uint64_t where) {
  if (!config_.on) return;
  std::lock_guard lock(mu_);
  // A busy thread, or one with removals queued, looks at the queue again before it waits: only
  // an idle one needs waking (this runs under the file system's lock, once per file removed).
  bool wake = !busy_ && queued_.empty();
  queued_.emplace_back(time_ns, where);
  if (wake) wake_.notify_all();
}

void MassDeleteWatch::settle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return stop_ || (queued_.empty() && !busy_); });
}

uint64_t MassDeleteWatch::passes() const {
  std::lock_guard lock(mu_);
  return passes_;
}

void MassDeleteWatch::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !queued_.empty(); });
    if (stop_) break;
    // Removals come in bursts (rm -rf): gather them for a moment, so that a burst costs a few
    // passes, not a wake-up per file. The brake counts by the times queued, not by when.
    busy_ = true;
    wake_.wait_for(lock, kGather, [&] { return stop_; });
    if (stop_) break;
    std::vector<std::pair<int64_t, uint64_t>> batch;
    batch.swap(queued_);
    ++passes_;
    lock.unlock();
    for (auto [t, where] : batch) brake_.removed(t, where);
    weigh();
    lock.lock();
    busy_ = false;
    idle_.notify_all();
  }
  idle_.notify_all();
}

void MassDeleteWatch::weigh() {
  if (!brake_.counting_due()) return;
  auto start = brake_.window_start();
  auto before = version_before(*start);
  if (!before && before.code() == Errc::not_found) return;  // no version to go back to
  if (!before) {
    log::warn("mass deletion brake: cannot read the version before " + version_time_name(*start) +
              ": " + before.error().message());
    return;
  }
  auto& [head, files] = *before;
  if (!brake_.trips(files)) return;
  uint64_t removed = brake_.in_window();
  brake_.tripped();
  Pin pin{"before-mass-delete-" + version_time_name(wall_clock_ns()), head.hash(), wall_clock_ns(),
          std::to_string(removed) + " of " + std::to_string(files) + " files removed or truncated"};
  if (int e = add_pin(fs_, pin); e != 0) {
    log::error("mass deletion brake: " + std::to_string(removed) + " of " + std::to_string(files) +
               " files removed or truncated, but the version before (" +
               version_time_name(head.time_ns) + ") could not be pinned: errno " +
               std::to_string(e));
    return;
  }
  log::warn("mass deletion: " + std::to_string(removed) + " of " + std::to_string(files) +
            " files removed or truncated within " + std::to_string(config_.window.count() / 60) +
            " minutes; the version before is kept as .snapshots/" + pin.name +
            " (copy back what you need; if it was intended: peerstore snapshots unpin " + pin.name +
            ")");
  if (on_pin_) on_pin_(Tripped{pin, removed, files});
}

Result<std::pair<Head, uint64_t>> MassDeleteWatch::version_before(int64_t time_ns) {
  if (last_before_ && last_before_->first == time_ns) return last_before_->second;
  PS_ASSIGN(auto volume, Volume::open(store_, reader_keys(keys_), device_));
  if (!volume->head()) return fail(Errc::not_found, "the tree has no version yet");
  History h =
      walk_history({*volume->head()}, [&](const Id256& id) { return volume->load_head(id); });
  const Head* best = nullptr;
  for (auto& [id, head] : h.heads)
    if (head.time_ns < time_ns && (!best || head.time_ns > best->time_ns ||
                                   (head.time_ns == best->time_ns && head.hash() > best->hash())))
      best = &head;
  if (!best) return fail(Errc::not_found, "no version is older than the first removal");
  if (last_before_ && last_before_->second.first.hash() == best->hash()) {
    last_before_->first = time_ns;
    return last_before_->second;
  }
  PS_ASSIGN(uint64_t files, count_files(*volume, *best));
  last_before_ = std::pair{time_ns, std::pair{*best, files}};
  return last_before_->second;
}

}  // namespace peerstore::host
