// FileSystem: commits (on demand, debounced, and in the background) and live sync (moving the
// tree to what other computers committed, merging when both sides changed it).
#include <chrono>
#include <map>
#include <set>

#include "common/log.h"
#include "common/process_memory.h"
#include "common/thread_name.h"
#include "fs/file_system.h"
#include "fs/record_merge.h"

namespace peerstore {

Result<std::optional<BlockPtr>> FileSystem::seal_locked() {
  PS_ASSIGN(auto root, table_.flush([this](Node& n) { return flush_content(n); }));
  changed_ = false;
  dirty_chunks_ = 0;
  dirty_bytes_ = 0;
  dirty_drained_.notify_all();
  table_.sweep();
  return root;
}

int FileSystem::commit() {
  std::lock_guard serial(commit_serial_);
  return commit_locked();
}

int FileSystem::commit_locked() {
  // The tree lock is held only while the new tree is built, not while the store writes and
  // syncs it, so file operations go on during the disk flush.
  Result<std::optional<BlockPtr>> root = std::optional<BlockPtr>();
  uint64_t sealed_seq;
  // Writes go on while the sealers work and dirty more chunks: a few rounds leave the tree
  // lock below only what the last round missed.
  bool sealed = false;
  for (int round = 0; round < kPresealRounds && preseal(); ++round) sealed = true;
  if (sealed) give_back_free_memory();  // what the sealed chunks held
  sealer_->drain();                     // chunks being sealed are installed, not sealed again below
  {
    std::lock_guard lock(mu_);
    if (!changed_) return 0;
    sealed_seq = write_seq_;
    root = seal_locked();
    if (!root) return commit_errno_ = err(root.error(), "commit");
  }
  if (auto st = volume_->commit(*root); !st) {
    std::lock_guard lock(mu_);
    changed_ = true;  // the tree is sealed but not committed: the next round retries
    commit_errno_ = err(st.error(), "commit");
    return commit_errno_;
  }
  std::lock_guard lock(mu_);
  commit_errno_ = 0;
  committed_seq_ = std::max(committed_seq_, sealed_seq);
  return 0;
}

void FileSystem::commit_soon() {
  std::lock_guard lock(commit_mu_);
  if (commit_due_) return;
  commit_due_ =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.commit_debounce_ms);
  wake_.notify_all();
}

void FileSystem::start_committer() {
  committer_ = std::thread([this] {
    name_this_thread("ps-commit");
    committer_loop();
  });
}

void FileSystem::committer_loop() {
  std::unique_lock lock(commit_mu_);
  while (!stop_) {
    auto woken = [this] { return stop_ || commit_requested_; };
    if (commit_due_)
      wake_.wait_until(lock, *commit_due_, woken);
    else
      wake_.wait_for(lock, std::chrono::milliseconds(opts_.commit_interval_ms),
                     [this] { return stop_ || commit_requested_ || commit_due_; });
    if (stop_) break;
    // Woken by commit_soon(): wait out the debounce first.
    if (commit_due_ && !commit_requested_ && std::chrono::steady_clock::now() < *commit_due_)
      continue;
    commit_requested_ = false;
    commit_due_.reset();
    lock.unlock();
    commit();  // errors are logged where they happen; the next round retries
    lock.lock();
  }
}

void FileSystem::set_removal_sink(RemovalSink sink) {
  std::lock_guard lock(mu_);
  removal_sink_ = std::move(sink);
}

void FileSystem::set_conflict_sink(ConflictSink sink) {
  std::lock_guard lock(notify_mu_);
  conflict_sink_ = std::move(sink);
}

Result<std::string> FileSystem::path_of(uint64_t dir) {
  std::string path;
  for (int depth = 0; dir != NodeTable::kRootIno; ++depth) {
    if (depth > 4096) return fail(Errc::corrupt, "directory nesting too deep");
    PS_ASSIGN(Node * n, node(dir));
    uint64_t parent = n->rec.parent;
    PS_ASSIGN(Node * p, dir_node(parent));
    std::string name = "?";
    PS_TRY(dir_scan(*p->dir, 0, [&](uint64_t, std::string_view entry, const DirEntry& e) {
      if (e.ino != dir) return true;
      name = entry;
      return false;
    }));
    path = "/" + name + path;
    dir = parent;
  }
  return path;
}

void FileSystem::set_notifier(Notifier n) {
  std::lock_guard lock(notify_mu_);
  notifier_ = std::move(n);
}

void FileSystem::start_sync() {
  syncer_ = std::thread([this] {
    name_this_thread("ps-sync");
    syncer_loop(opts_.sync_poll_ms);
  });
}

void FileSystem::wake_sync() {
  std::lock_guard lock(commit_mu_);
  sync_requested_ = true;
  sync_wake_.notify_all();
}

FileSystem::SyncStats FileSystem::sync_stats() const {
  std::lock_guard lock(stats_mu_);
  return sync_stats_;
}

void FileSystem::syncer_loop(int poll_ms) {
  std::unique_lock lock(commit_mu_);
  while (!stop_) {
    sync_wake_.wait_for(lock, std::chrono::milliseconds(poll_ms),
                        [this] { return stop_ || sync_requested_; });
    if (stop_) break;
    sync_requested_ = false;
    lock.unlock();
    sync();  // failures are logged once and counted; the next round retries
    lock.lock();
  }
}

namespace {

// Whether sync should move to `h` from our head `ours`: a head our tree does not already hold.
// Of twins (equal vectors, other hashes: fs/head_history.h) both computers move to the one with
// the larger hash, so they end at the same tree.
bool worth_taking(const Head& h, const Head& ours) {
  switch (compare_clocks(h, ours)) {
    case ClockOrder::before:
      return false;
    case ClockOrder::equal:
      return ours.hash() < h.hash();
    default:
      return true;
  }
}

}  // namespace

void FileSystem::send_pending_notices() {
  Invalidation inv;
  {
    std::lock_guard lock(pending_mu_);
    if (pending_.inodes.empty() && pending_.entries.empty()) return;
    inv = std::exchange(pending_, {});
  }
  std::lock_guard lock(notify_mu_);
  if (notifier_) notifier_(inv);
}

int FileSystem::sync() {
  send_pending_notices();
  {
    std::lock_guard lock(stats_mu_);
    ++sync_stats_.rounds;
  }
  auto failed = [&](const Error& e) {
    std::lock_guard lock(stats_mu_);
    ++sync_stats_.failures;
    if (!warned_sync_) log::warn("live sync: " + e.message() + " (retrying)");
    warned_sync_ = true;
    return to_errno(e.code);
  };
  // Asking the network may take seconds: commits (fsync) go on meanwhile. Local changes are
  // committed only when there is something to merge them with (below): the committer's
  // cadence is not this loop's.
  auto heads = volume_->fetch_heads();
  if (!heads) return failed(heads.error());
  std::unique_lock serial(commit_serial_);
  // Heads this tree already contains are done with; the rest in a canonical order.
  std::vector<Head> news;
  for (auto& h : *heads) {
    const auto& ours = volume_->head();
    if (ours && !worth_taking(h, *ours)) continue;
    news.push_back(std::move(h));
  }
  if (news.empty()) return 0;
  std::sort(news.begin(), news.end(),
            [](const Head& a, const Head& b) { return a.hash() < b.hash(); });
  if (opts_.before_adopt) {
    // Claim before adopting, with no lock held (claims wait for the ring): commits and requests
    // go on meanwhile, and each head is checked again below.
    std::vector<Head> to_claim;
    for (auto& h : news)
      if (!refused_.count(h.hash())) to_claim.push_back(h);
    serial.unlock();
    for (auto& h : to_claim) {
      Status claimed = opts_.before_adopt(*volume_, h);
      // A head whose tree does not decode is refused below, where it is weighed; anything else
      // (its blocks not on the network yet, the ring not answering) waits for the next round.
      if (!claimed && claimed.code() != Errc::corrupt)
        return failed(fail(claimed.code(), "cannot claim the blocks of head " +
                                               h.hash().short_hex() + ": " +
                                               claimed.error().message()));
    }
    serial.lock();
  }

  Invalidation inv;
  std::optional<Error> stopped;  // a head that could not be taken now: retried next round
  std::vector<MergeConflict> made_conflicts;
  std::vector<ConflictRecord> records;
  sealer_->drain();  // as a commit does
  {
    // Under the tree lock from here: nothing may change the tree between the commit of local
    // changes and the switch to the merged tree.
    std::lock_guard lock(mu_);
    if (changed_) {
      auto root = seal_locked();
      if (!root) return failed(root.error());
      if (auto st = volume_->commit(*root); !st) {
        changed_ = true;
        return failed(st.error());
      }
    }
    std::optional<BlockPtr> old = volume_->table_root();
    std::optional<Head> old_head = volume_->head();
    uint64_t ff = 0, merges = 0, conflicts = 0;
    for (auto& h : news) {
      Id256 hash = h.hash();
      if (refused_.count(hash)) continue;
      const auto& cur = volume_->head();
      if (cur && !worth_taking(h, *cur)) continue;
      auto o = cur ? compare_clocks(h, *cur) : ClockOrder::after;
      // A read-only member cannot sign a merge: it stays until a writer's head descends from
      // both (writers merge what they see).
      if (o == ClockOrder::concurrent && !volume_->keys().writable()) continue;
      Status st;
      if (o == ClockOrder::after || o == ClockOrder::equal) {
        st = volume_->adopt(h);
        ff += st.ok();
      } else {
        auto made = volume_->merge(h);
        if (made) {
          ++merges;
          conflicts += made->size();
          for (auto& c : *made) made_conflicts.push_back(std::move(c));
        } else {
          st = made.error();
        }
      }
      if (st) continue;
      if (st.code() == Errc::corrupt) {
        // A head that lies about its history (or names parents that are not heads of this
        // volume) is never taken; what it would hide stays in our tree.
        refused_.insert(hash);
        log::warn("live sync refused a head: " + st.error().message());
        continue;
      }
      stopped = st.error();
      break;
    }
    {
      std::lock_guard slock(stats_mu_);
      sync_stats_.fast_forwards += ff;
      sync_stats_.merges += merges;
      sync_stats_.conflicts += conflicts;
      if (!stopped) warned_sync_ = false;
    }
    // Whatever was taken before a failure is the volume's head now: the tree follows it.
    if (volume_->table_root() != old) {
      auto changes = switch_tree(old);
      if (!changes) {
        // A block of the new tree cannot be read yet (a head that reached the network before
        // its blocks): the tree stays where it was, and so must the head the next commit
        // descends from, or that commit would drop what the new head holds. Retried later.
        if (old_head) volume_->rewind(*old_head, old);
        if (auto st = table_.reset(old); !st) return failed(st.error());
        return failed(changes.error());
      }
      inv = std::move(*changes);
    }
    for (auto& c : made_conflicts) {
      auto dir = path_of(c.dir);
      std::string at = dir ? *dir : "(a directory " + std::to_string(c.dir) + ")";
      log::warn("sync conflict: two computers changed " + at + "/" + c.name + " (devices " +
                c.winner + " and " + c.loser + "); " + c.loser + "'s version is " + at + "/" +
                c.copy);
      records.push_back({at + "/" + c.name, at + "/" + c.copy, c.winner, c.loser,
                         std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count()});
    }
  }
  // No lock of ours is held while the kernel is told: an invalidation waits for the inode
  // locks that requests hold, and a request (fsync) may wait for the commit lock.
  serial.unlock();
  // Their last bytes, read like any read (the tree lock is not held here); one that cannot be
  // read is left out: its size then stays stale until the reader closes it.
  std::erase_if(inv.grown, [this](Invalidation::Grown& g) {
    Bytes last;
    if (read(g.ino, g.size - 1, 1, &last) != 0 || last.size() != 1) return true;
    g.last = last[0];
    return false;
  });
  {
    std::lock_guard lock(notify_mu_);
    if (notifier_ && (!inv.inodes.empty() || !inv.entries.empty())) notifier_(inv);
    if (conflict_sink_)
      for (auto& r : records) conflict_sink_(r);
  }
  if (stopped) return failed(*stopped);
  return 0;
}

Result<FileSystem::Invalidation> FileSystem::switch_tree(const std::optional<BlockPtr>& old) {
  const std::optional<BlockPtr>& now = volume_->table_root();
  Invalidation inv;
  // What the kernel may hold: inodes it was told about (loaded nodes) and their names.
  struct DirChange {
    uint64_t ino;
    std::optional<BlockPtr> from, to;
  };
  std::vector<DirChange> dirs;
  // Regular files whose content changed, by the directory they live in. With the writeback
  // cache the kernel never takes a file's size from us while it holds the inode, so their
  // names are invalidated too: an inode nobody has open is then dropped (FUSE keeps no unused
  // inodes), and the next lookup reads the new size.
  std::map<uint64_t, std::set<uint64_t>> files_by_dir;
  PS_TRY(TrieMap::diff(volume_->io(), old, now,
                       [&](uint64_t ino, ByteView, const Bytes* a, const Bytes* b) -> Status {
                         if (!table_.find_loaded(ino)) return {};
                         inv.inodes.push_back(ino);
                         std::optional<InodeRecord> ra, rb;
                         if (a) {
                           PS_ASSIGN(ra, InodeRecord::decode(*a));
                         }
                         if (b) {
                           PS_ASSIGN(rb, InodeRecord::decode(*b));
                         }
                         std::optional<BlockPtr> from, to;
                         if (ra && ra->is_dir()) from = ra->root;
                         if (rb && rb->is_dir()) to = rb->root;
                         if (from != to) dirs.push_back({ino, from, to});
                         if (ra && rb && ra->is_file() && !same_content(*ra, *rb)) {
                           files_by_dir[ra->parent].insert(ino);
                           files_by_dir[rb->parent].insert(ino);
                           if (rb->size > ra->size) inv.grown.push_back({ino, rb->size, 0});
                         }
                         return {};
                       }));
  for (auto& d : dirs)
    PS_TRY(TrieMap::diff(volume_->io(), d.from, d.to,
                         [&](uint64_t, ByteView name, const Bytes*, const Bytes*) -> Status {
                           inv.entries.emplace_back(d.ino, std::string(as_chars(name)));
                           return {};
                         }));
  PS_TRY(table_.reset(now));
  for (auto& [dir, files] : files_by_dir) {
    Node* d = table_.find_loaded(dir);
    if (!d || !d->rec.is_dir()) continue;  // the kernel holds no name in it
    PS_TRY(table_.load_content(*d));
    const uint64_t parent = dir;
    PS_TRY(dir_scan(*d->dir, 0, [&](uint64_t, std::string_view name, const DirEntry& e) {
      if (files.count(e.ino)) inv.entries.emplace_back(parent, std::string(name));
      return true;
    }));
  }
  return inv;
}

}  // namespace peerstore
