#include "store/upload_queue.h"

#include <algorithm>

#include "common/log.h"
#include "common/thread_name.h"

namespace peerstore {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kMaxBackoffMs = 30000;
// Blocks one merged claims item holds at most (UploadQueue::merge_claims).
constexpr size_t kMaxMergedClaims = 1 << 16;

}  // namespace

UploadQueue::UploadQueue(BlockStore& local, RemoteStore& remote, UploadQueueOptions opts)
    : local_(local), remote_(remote), opts_(opts) {
  opts_.window = std::max<size_t>(opts_.window, 1);
  core_->on_block_uploaded = opts_.on_block_uploaded;
  worker_ = std::thread([this] {
    name_this_thread("ps-upload");
    run();
  });
}

UploadQueue::~UploadQueue() {
  {
    std::lock_guard lk(core_->m);
    core_->stopping = true;
    core_->on_block_uploaded = nullptr;  // late callbacks must not reach our owner
  }
  core_->cv.notify_all();
  worker_.join();
}

uint64_t UploadQueue::add_blocks(const std::vector<BlockId>& ids,
                                 const std::vector<size_t>& sizes) {
  std::lock_guard lk(core_->m);
  for (size_t i = 0; i < ids.size(); ++i) {
    const BlockId& id = ids[i];
    Item it;
    it.seq = next_seq_++;
    it.id = id;
    if (i < sizes.size()) it.bytes = sizes[i];
    core_->outstanding.insert(it.seq);
    ++core_->waiting[id];
    core_->blocks.push_back(std::move(it));
  }
  core_->stats.pending = core_->outstanding.size();
  core_->cv.notify_all();
  return next_seq_ - 1;
}

uint64_t UploadQueue::add_heads_unless_queued(const VolumeId& volume, std::vector<Bytes> heads) {
  {
    std::lock_guard lk(core_->m);
    // A head set queued, waiting for a retry or on its way is newer: it supersedes these.
    if (core_->heads_in_flight.contains(volume)) return 0;
    for (auto* q : {&core_->ordered, &core_->retries})
      for (auto& it : *q)
        if (it.kind == Kind::heads && it.id == volume) return 0;
  }
  // A commit queued between the check and here is newer still and supersedes these: fine.
  return add_heads(volume, std::move(heads));
}

uint64_t UploadQueue::add_heads(const VolumeId& volume, std::vector<Bytes> heads) {
  std::lock_guard lk(core_->m);
  // A queued (not in-flight) head set of the same volume is superseded: the new heads descend
  // from it, so uploading it too would only be undone by the network's dominance check.
  for (auto* q : {&core_->ordered, &core_->retries}) {
    for (auto it = q->begin(); it != q->end();) {
      if (it->kind == Kind::heads && it->id == volume) {
        core_->outstanding.erase(it->seq);
        it = q->erase(it);
      } else {
        ++it;
      }
    }
  }
  Item it;
  it.seq = next_seq_++;
  it.id = volume;
  it.kind = Kind::heads;
  it.heads = std::move(heads);
  core_->outstanding.insert(it.seq);
  core_->ordered.push_back(std::move(it));
  core_->stats.pending = core_->outstanding.size();
  core_->cv.notify_all();
  return next_seq_ - 1;
}

uint64_t UploadQueue::add_claims(const VolumeId& volume, std::vector<BlockId> blocks) {
  if (!opts_.claim || blocks.empty()) return 0;
  std::lock_guard lk(core_->m);
  Item it;
  it.seq = next_seq_++;
  it.id = volume;
  it.kind = Kind::claims;
  it.claims = std::move(blocks);
  core_->outstanding.insert(it.seq);
  core_->ordered.push_back(std::move(it));
  core_->stats.pending = core_->outstanding.size();
  core_->cv.notify_all();
  return next_seq_ - 1;
}

uint64_t UploadQueue::last_ticket() const {
  std::lock_guard lk(core_->m);
  return next_seq_ - 1;
}

Status UploadQueue::wait(uint64_t ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lk(core_->m);
  auto done = [&] { return core_->outstanding.empty() || *core_->outstanding.begin() > ticket; };
  if (core_->cv.wait_for(lk, timeout, done)) return {};
  std::string why = core_->stats.last_error.empty() ? "no answer" : core_->stats.last_error;
  return fail(Errc::unavailable, std::to_string(core_->stats.pending) +
                                     " uploads are not on the network yet (" + why + ")");
}

UploadQueue::Stats UploadQueue::stats() const {
  std::lock_guard lk(core_->m);
  return core_->stats;
}

bool UploadQueue::ordered_ready(const Core& c, const Item* taken) const {
  if (c.ordered.empty()) return false;
  // Everything queued before it is done: every smaller outstanding seq is a queued ordered item
  // (a block, or claims in flight or waiting for a retry, are not) or one `taken` holds.
  uint64_t seq = c.ordered.front().seq;
  for (uint64_t s : c.outstanding) {
    if (s >= seq) break;
    if (taken && (s == taken->seq || std::count(taken->merged.begin(), taken->merged.end(), s)))
      continue;
    bool queued =
        std::any_of(c.ordered.begin(), c.ordered.end(), [&](const Item& h) { return h.seq == s; });
    if (!queued) return false;
  }
  return true;
}

void UploadQueue::merge_claims(Core& c, Item& claims) const {
  bool grew = false;
  while (!c.ordered.empty() && c.ordered.front().kind == Kind::claims &&
         c.ordered.front().id == claims.id &&
         claims.claims.size() + c.ordered.front().claims.size() <= kMaxMergedClaims &&
         ordered_ready(c, &claims)) {
    Item& next = c.ordered.front();
    claims.merged.push_back(next.seq);
    claims.merged.insert(claims.merged.end(), next.merged.begin(), next.merged.end());
    claims.claims.insert(claims.claims.end(), next.claims.begin(), next.claims.end());
    c.ordered.pop_front();
    grew = true;
  }
  if (!grew) return;
  std::sort(claims.claims.begin(), claims.claims.end());
  claims.claims.erase(std::unique(claims.claims.begin(), claims.claims.end()), claims.claims.end());
}

void UploadQueue::run() {
  Core& c = *core_;
  std::unique_lock lk(c.m);
  while (!c.stopping) {
    int64_t now = now_ms();
    // Retries whose time has come go before new work, so the oldest writes finish first.
    while (!c.retries.empty() && c.retries.front().due_ms <= now) {
      Item it = std::move(c.retries.front());
      c.retries.pop_front();
      (it.kind == Kind::block ? c.blocks : c.ordered).push_front(std::move(it));
    }
    if (c.in_flight < opts_.window && ordered_ready(c)) {
      Item it = std::move(c.ordered.front());
      c.ordered.pop_front();
      if (it.kind == Kind::claims) merge_claims(c, it);
      start(std::move(it), lk);
      continue;
    }
    if (c.in_flight < opts_.window && !c.blocks.empty()) {
      Item it = std::move(c.blocks.front());
      c.blocks.pop_front();
      start(std::move(it), lk);
      continue;
    }
    if (c.retries.empty()) {
      c.cv.wait(lk);
    } else {
      c.cv.wait_for(
          lk, std::chrono::milliseconds(std::max<int64_t>(c.retries.front().due_ms - now, 1)));
    }
  }
}

void UploadQueue::start(Item item, std::unique_lock<std::mutex>& lk) {
  ++core_->in_flight;
  if (item.kind == Kind::heads) core_->heads_in_flight.insert(item.id);
  lk.unlock();
  auto core = core_;
  int64_t retry = opts_.retry_ms;
  if (item.kind == Kind::claims) {
    VolumeId volume = item.id;
    auto blocks = item.claims;
    opts_.claim(volume, std::move(blocks),
                [core, item = std::move(item), retry](Status st) mutable {
                  finish(core, std::move(item), st, retry);
                });
  } else if (item.kind == Kind::heads) {
    VolumeId volume = item.id;
    auto heads = item.heads;
    remote_.put_heads(volume, std::move(heads),
                      [core, item = std::move(item), retry](Status st) mutable {
                        finish(core, std::move(item), st, retry);
                      });
  } else if (remote_.shares_store_with(local_)) {
    // The node behind `remote_` stores in `local_`: it reads the bytes only for copies it sends
    // elsewhere (none on a one-node network), so only the size is needed here, known if the
    // block was queued with it (a lookup through the store's map costs page faults: MapBudget).
    // Passed on, so the node need not look it up either: a block waiting for upload is never
    // erased. not_found: released by the bounded cache once the network held it (as below); it
    // holds none of its bytes here any more.
    Status st;
    if (item.bytes == 0)
      st = local_.view(item.id, [&](ByteView b) {
        item.bytes = b.size();
        return Status();
      });
    if (!st) {
      finish(core, std::move(item), st.code() == Errc::not_found ? Status() : st, retry);
    } else {
      BlockId id = item.id;
      size_t size = item.bytes;
      remote_.put_stored_block(id, size, [core, item = std::move(item), retry](Status st) mutable {
        if (st.code() == Errc::not_found) item.bytes = 0, st = Status();
        finish(core, std::move(item), st, retry);
      });
    }
  } else {
    auto bytes = local_.get(item.id);
    if (!bytes && bytes.code() == Errc::not_found) {
      // Only a bounded cache deletes blocks, and only blocks the network confirmed it holds: a
      // copy released while this upload waited is there already.
      finish(core, std::move(item), Status(), retry);
    } else if (!bytes) {
      finish(core, std::move(item), bytes.error(), retry);
    } else {
      BlockId id = item.id;
      item.bytes = bytes->size();
      remote_.put_block(id, std::move(*bytes),
                        [core, item = std::move(item), retry](Status st) mutable {
                          finish(core, std::move(item), st, retry);
                        });
    }
  }
  lk.lock();
}

std::vector<bool> UploadQueue::waiting(const std::vector<BlockId>& ids) const {
  std::lock_guard lk(core_->m);
  std::vector<bool> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = core_->waiting.count(ids[i]) > 0;
  return out;
}

void UploadQueue::finish(const std::shared_ptr<Core>& core, Item item, const Status& st,
                         int64_t retry_ms) {
  std::lock_guard lk(core->m);
  --core->in_flight;
  if (item.kind == Kind::heads) core->heads_in_flight.erase(core->heads_in_flight.find(item.id));
  if (st.ok()) {
    if (core->offline) {
      core->offline = false;
      log::info("the network answers again; uploading what waited");
    }
    core->outstanding.erase(item.seq);
    for (uint64_t s : item.merged) core->outstanding.erase(s);
    if (item.kind == Kind::block) {
      auto w = core->waiting.find(item.id);
      if (w != core->waiting.end() && --w->second == 0) core->waiting.erase(w);
      ++core->stats.uploaded_blocks;
      if (core->on_block_uploaded) core->on_block_uploaded(item.id, item.bytes);
    } else if (item.kind == Kind::heads) {
      ++core->stats.uploaded_heads;
    } else {
      core->stats.claimed_blocks += item.claims.size();
    }
    core->stats.last_error.clear();
  } else {
    // Said once per outage: the mount keeps working from this computer's store meanwhile.
    if (!core->offline) {
      core->offline = true;
      log::warn("cannot upload to the network (" + st.error().message() +
                "); the mount keeps working from this computer and retries");
    }
    ++core->stats.failures;
    core->stats.last_error = st.error().message();
    item.backoff_ms = std::min(item.backoff_ms ? item.backoff_ms * 2 : retry_ms, kMaxBackoffMs);
    item.due_ms = now_ms() + item.backoff_ms;
    // Keep the retry list ordered by due time; backoffs differ, so insert in place.
    auto pos = std::upper_bound(core->retries.begin(), core->retries.end(), item.due_ms,
                                [](int64_t due, const Item& i) { return due < i.due_ms; });
    core->retries.insert(pos, std::move(item));
  }
  core->stats.pending = core->outstanding.size();
  core->cv.notify_all();
}

}  // namespace peerstore
