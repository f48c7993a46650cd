#include "store/collecting_store.h"

#include <algorithm>

namespace peerstore {

struct CollectingStore::History {
  explicit History(size_t max_recorded) : max_recorded(max_recorded) {}

  const size_t max_recorded;
  mutable std::mutex m;           // held across a guarded erase
  uint64_t seq = 0;               // block writes recorded so far, numbered from 1
  std::multiset<uint64_t> marks;  // the seq at which each held mark was taken
  // Since the oldest held mark: each id's last write, and every write in order (so the oldest
  // can be forgotten).
  std::unordered_map<BlockId, uint64_t, Id256Hash> last;
  std::deque<std::pair<uint64_t, BlockId>> log;
  uint64_t horizon = 0;  // writes up to this seq are forgotten: an older mark cannot vouch

  void record(const BlockId& id) {
    uint64_t s = ++seq;
    last[id] = s;
    log.emplace_back(s, id);
    if (log.size() > max_recorded) forget_until(log[log.size() - max_recorded / 2 - 1].first);
  }
  // Forgets the writes up to seq `s`.
  void forget_until(uint64_t s) {
    while (!log.empty() && log.front().first <= s) {
      auto [at, id] = log.front();
      log.pop_front();
      if (auto it = last.find(id); it != last.end() && it->second == at) last.erase(it);
      horizon = std::max(horizon, at);
    }
  }
};

class CollectingStore::Mark final : public WriteMark {
 public:
  Mark(std::shared_ptr<History> h, uint64_t seq) : h_(std::move(h)), seq_(seq) {}
  ~Mark() override {
    std::lock_guard lock(h_->m);
    h_->marks.erase(h_->marks.find(seq_));
    if (h_->marks.empty()) {  // nobody asks any more: record nothing until the next mark
      h_->last = {};
      h_->log = {};
    } else {
      h_->forget_until(*h_->marks.begin());  // writes before every mark decide nothing
    }
  }
  const History* history() const { return h_.get(); }
  uint64_t seq() const { return seq_; }

 private:
  std::shared_ptr<History> h_;
  uint64_t seq_;
};

CollectingStore::CollectingStore(LocalStore& inner, size_t max_recorded)
    : inner_(inner), history_(std::make_shared<History>(std::max<size_t>(max_recorded, 2))) {}

std::shared_ptr<const WriteMark> CollectingStore::write_mark() {
  std::lock_guard lock(history_->m);
  history_->marks.insert(history_->seq);
  return std::make_shared<Mark>(history_, history_->seq);
}

const CollectingStore::Mark* CollectingStore::own(const WriteMark* mark) const {
  auto* m = dynamic_cast<const Mark*>(mark);
  return m && m->history() == history_.get() ? m : nullptr;
}

bool CollectingStore::erasable(const Mark* since, const BlockId& id) const {
  if (!since || since->seq() < history_->horizon) return false;
  auto it = history_->last.find(id);
  return it == history_->last.end() || it->second <= since->seq();
}

size_t CollectingStore::recorded() const {
  std::lock_guard lock(history_->m);
  return history_->log.size();
}

Status CollectingStore::write(const WriteBatch& batch) {
  History& h = *history_;
  std::unique_lock lock(h.m);
  if (!h.marks.empty())
    for (const BlockRecord& b : batch.blocks) h.record(b.id);
  if (!batch.erase_guard || batch.erase.empty()) {
    lock.unlock();
    // Outside the lock: a guarded erase that runs meanwhile has checked the history after the
    // record above, so it leaves these ids alone.
    return inner_.write(batch);
  }
  const Mark* since = own(batch.erase_guard.get());
  WriteBatch b = batch;  // the blocks are views: a cheap copy
  b.erase_guard.reset();
  b.erase.clear();
  for (const BlockId& id : batch.erase)
    if (erasable(since, id)) b.erase.push_back(id);
  return inner_.write(b);  // under the lock, so no write of these ids slips in before it
}

Result<CollectingStore::SweepStats> CollectingStore::sweep(
    const WriteMark& since_mark, const std::function<bool(const BlockId&)>& garbage) {
  const Mark* since = own(&since_mark);
  SweepStats stats;
  std::unordered_set<BlockId, Id256Hash> kept;  // garbage, but written after the mark
  for (;;) {
    // Gather a pass of candidates first: the store's iteration holds a read transaction, and
    // erasing inside it is not something every store allows.
    std::vector<std::pair<BlockId, size_t>> found;
    PS_TRY(inner_.for_each_id([&](const BlockId& id, size_t size) {
      if (!kept.contains(id) && garbage(id)) found.emplace_back(id, size);
      return found.size() < kPass;
    }));
    for (size_t at = 0; at < found.size(); at += kEraseBatch) {
      WriteBatch erase;
      erase.durable = false;  // garbage coming back after a power cut is harmless
      uint64_t bytes = 0;
      std::lock_guard lock(history_->m);
      for (size_t i = at; i < std::min(found.size(), at + kEraseBatch); ++i) {
        if (!erasable(since, found[i].first)) {
          kept.insert(found[i].first);
          ++stats.kept_written;
          continue;
        }
        erase.erase.push_back(found[i].first);
        bytes += found[i].second;
      }
      if (erase.erase.empty()) continue;
      PS_TRY(inner_.write(erase));
      stats.erased += erase.erase.size();
      stats.erased_bytes += bytes;
    }
    if (found.size() < kPass) return stats;
  }
}

}  // namespace peerstore
