#include "store/tiered_store.h"

#include <algorithm>
#include <thread>

#include "common/log.h"

namespace peerstore {

// One network read of a block that every concurrent reader of it waits for.
struct TieredStore::Fetch {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  Result<Bytes> result = fail(Errc::timeout, "");
};

TieredStore::TieredStore(LocalStore& local, RemoteStore& remote, TieredStoreOptions opts)
    : local_(local), remote_(remote), opts_(opts), uploads_(local, remote, upload_options()) {}

UploadQueueOptions TieredStore::upload_options() {
  UploadQueueOptions o = opts_.upload;
  o.on_block_uploaded = [this](const BlockId& id, size_t bytes) { note_cached(id, bytes); };
  return o;
}

void TieredStore::note_cached(const BlockId& id, size_t bytes) {
  {
    std::lock_guard lk(m_);
    if (auto it = cached_.find(id); it != cached_.end()) {
      lru_.splice(lru_.end(), lru_, it->second.pos);
    } else {
      cached_.emplace(id, Cached{bytes, lru_.insert(lru_.end(), id)});
      cached_bytes_ += bytes;
    }
  }
  maybe_evict();
}

void TieredStore::touch(const BlockId& id) {
  std::lock_guard lk(m_);
  if (auto it = cached_.find(id); it != cached_.end())
    lru_.splice(lru_.end(), lru_, it->second.pos);
}

void TieredStore::forget_cached(const BlockId& id) {
  auto it = cached_.find(id);
  if (it == cached_.end()) return;
  cached_bytes_ -= it->second.bytes;
  lru_.erase(it->second.pos);
  cached_.erase(it);
}

void TieredStore::maybe_evict() {
  std::vector<BlockId> victims;
  {
    std::lock_guard lk(m_);
    // Victims leave the list at once, so rounds that overlap never offer a block twice.
    if (cached_bytes_ <= opts_.cache_bytes) return;
    // Down to 90 %, so eviction runs in rounds rather than once per block.
    uint64_t target = opts_.cache_bytes - opts_.cache_bytes / 10;
    while (cached_bytes_ > target && !lru_.empty()) {
      victims.push_back(lru_.front());
      forget_cached(lru_.front());
    }
  }
  // What the network side keeps (its node's replicas) is simply no longer tracked: it does not
  // count against the cache.
  remote_.release(std::move(victims),
                  [released = released_](std::vector<BlockId> ids) { *released += ids.size(); });
}

TieredStore::~TieredStore() = default;

Result<Bytes> TieredStore::get(const BlockId& id) {
  auto r = local_.get(id);
  if (r.ok()) touch(id);
  if (r.ok() || r.code() != Errc::not_found) return r;
  return fetch(id);
}

Result<bool> TieredStore::contains(const BlockId& id) {
  // Local only: callers ask to skip rewriting a block they hold, and a network round trip
  // costs more than the write it could save.
  return local_.contains(id);
}

Status TieredStore::view(const BlockId& id, const std::function<Status(ByteView)>& fn) {
  bool found = true;
  Status st = local_.view(id, [&](ByteView b) { return fn(b); });
  if (st.code() == Errc::not_found) {
    // Distinguish "not stored here" from a not_found that fn itself returned.
    auto has = local_.contains(id);
    found = !has.ok() || *has;
  }
  if (found) {
    if (st.ok()) touch(id);
    return st;
  }
  PS_ASSIGN(Bytes b, fetch(id));
  return fn(b);
}

Status TieredStore::read_part(const BlockId& id, size_t off, size_t len, uint8_t* out,
                              size_t* size) {
  Status st = local_.read_part(id, off, len, out, size);
  if (st.ok()) touch(id);
  if (st.code() != Errc::not_found) return st;
  PS_ASSIGN(Bytes b, fetch(id));  // not here: from the network, as view() does
  *size = b.size();
  if (off < b.size()) std::copy_n(b.data() + off, std::min(len, b.size() - off), out);
  return {};
}

Result<Bytes> TieredStore::fetch(const BlockId& id) {
  std::shared_ptr<Fetch> f;
  bool leader = false;
  {
    std::lock_guard lk(m_);
    auto [it, inserted] = fetches_.try_emplace(id);
    if (inserted) it->second = std::make_shared<Fetch>();
    f = it->second;
    leader = inserted;
  }
  if (leader) {
    remote_.get_block(id, [f](Result<Bytes> r) {
      std::lock_guard lk(f->m);
      f->result = std::move(r);
      f->done = true;
      f->cv.notify_all();
    });
  }
  Result<Bytes> out =
      fail(Errc::timeout, "block " + id.short_hex() + ": the network did not answer");
  {
    std::unique_lock lk(f->m);
    if (f->cv.wait_for(lk, std::chrono::milliseconds(opts_.fetch_timeout_ms),
                       [&] { return f->done; }))
      out = f->result;
  }
  if (!leader) return out;

  if (out.ok()) {
    // Keep the copy: the next read is local. Not durable: it can be fetched again.
    WriteBatch b;
    b.blocks.push_back(BlockRecord{id, *out});
    b.durable = false;
    if (auto st = local_.write(b); !st)
      log::warn("cannot keep block " + id.short_hex() + " locally: " + st.error().message());
  }
  {
    std::lock_guard lk(m_);
    fetches_.erase(id);
    ++(out.ok() ? fetched_ : fetch_failures_);
  }
  if (out.ok()) note_cached(id, out->size());
  if (!out.ok() && out.code() == Errc::not_found)
    return fail(Errc::not_found, "block " + id.short_hex() + " is neither here nor on the network");
  return out;
}

Status TieredStore::for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) {
  return local_.for_each_id(fn);
}

Status TieredStore::for_each_volume(const std::function<bool(const VolumeId&)>& fn) {
  return local_.for_each_volume(fn);
}

Result<StoreStats> TieredStore::stats() {
  return local_.stats();
}

Result<std::vector<Bytes>> TieredStore::heads(const VolumeId& volume) {
  PS_ASSIGN(auto local, local_.heads(volume));

  struct Reply {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    Result<std::vector<Bytes>> result = fail(Errc::timeout, "no answer");
  };
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.heads_timeout_ms);
  auto pause = std::chrono::milliseconds(100);
  Result<std::vector<Bytes>> remote = fail(Errc::timeout, "the network did not answer in time");
  for (;;) {
    auto reply = std::make_shared<Reply>();
    remote_.get_heads(volume, [reply](Result<std::vector<Bytes>> r) {
      std::lock_guard lk(reply->m);
      reply->result = std::move(r);
      reply->done = true;
      reply->cv.notify_all();
    });
    {
      std::unique_lock lk(reply->m);
      remote = reply->cv.wait_until(lk, deadline, [&] { return reply->done; })
                   ? reply->result
                   : fail(Errc::timeout, "the network did not answer in time");
    }
    // A computer with no copy of the heads can show nothing but the network's answer. One that
    // failed at once (a lookup while the ring settles after a node left, or sent astray by a
    // lying node, right after this node joined) is asked again until the deadline.
    if (remote || !local.empty() || remote.code() != Errc::unavailable ||
        std::chrono::steady_clock::now() + pause >= deadline)
      break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
  if (!remote && local.empty()) {
    // Showing an empty tree here would let the next commit hide everything other computers
    // wrote (its head would be the newest): refuse instead, and let the user retry.
    return fail(Errc::unavailable,
                "cannot read volume " + volume.short_hex() + " from the network (" +
                    remote.error().message() +
                    ") and this computer has no copy of it yet; try again once the ring answers");
  }
  if (!remote) {
    std::lock_guard lk(m_);
    if (!warned_offline_)
      log::warn("the network is unreachable (" + remote.error().message() +
                "); serving what this computer stores");
    warned_offline_ = true;
    return local;
  }

  // The union: the volume's reader picks among them. Local heads the network lacks (a commit
  // that crashed before its upload) are published again.
  std::vector<Bytes> merged = *remote;
  std::vector<Bytes> missing;
  for (auto& h : local)
    if (std::find(remote->begin(), remote->end(), h) == remote->end()) missing.push_back(h);
  merged.insert(merged.end(), missing.begin(), missing.end());
  // Never in place of a commit queued meanwhile: `local` may be older than it (live sync asks
  // for heads while the mount commits), and a queued head set supersedes the one before it.
  if (!missing.empty()) uploads_.add_heads_unless_queued(volume, std::move(missing));
  return merged;
}

Status TieredStore::write(const WriteBatch& batch) {
  PS_TRY(local_.write(batch));
  uint64_t ticket = 0;
  if (!batch.blocks.empty()) {
    std::vector<BlockId> ids;
    std::vector<size_t> sizes;
    ids.reserve(batch.blocks.size());
    sizes.reserve(batch.blocks.size());
    for (auto& b : batch.blocks) ids.push_back(b.id), sizes.push_back(b.data.size());
    {
      // Uploading again: not evictable until the network confirms it.
      std::lock_guard lk(m_);
      for (auto& id : ids) forget_cached(id);
    }
    ticket = uploads_.add_blocks(ids, sizes);
  }
  for (auto& [volume, ids] : batch.claims)
    if (uint64_t t = uploads_.add_claims(volume, ids)) ticket = t;
  for (auto& [volume, hs] : batch.heads) ticket = uploads_.add_heads(volume, hs);
  if (opts_.replicated && batch.durable && !batch.heads.empty())
    return uploads_.wait(ticket, std::chrono::milliseconds(opts_.replicated_timeout_ms));
  return {};
}

Status TieredStore::upload_all() {
  std::vector<BlockId> ids;
  std::vector<size_t> sizes;
  PS_TRY(local_.for_each_id([&](const BlockId& id, size_t size) {
    ids.push_back(id);
    sizes.push_back(size);
    if (ids.size() >= 4096) {
      uploads_.add_blocks(ids, sizes);
      ids.clear();
      sizes.clear();
    }
    return true;
  }));
  if (!ids.empty()) uploads_.add_blocks(ids, sizes);
  std::vector<VolumeId> volumes;
  PS_TRY(local_.for_each_volume([&](const VolumeId& v) {
    volumes.push_back(v);
    return true;
  }));
  for (auto& v : volumes) {
    PS_ASSIGN(auto hs, local_.heads(v));
    if (!hs.empty()) uploads_.add_heads_unless_queued(v, std::move(hs));
  }
  return {};
}

Status TieredStore::flush(std::chrono::milliseconds timeout) {
  return uploads_.wait(uploads_.last_ticket(), timeout);
}

TieredStore::Stats TieredStore::tier_stats() const {
  Stats s;
  {
    std::lock_guard lk(m_);
    s.fetched = fetched_;
    s.fetch_failures = fetch_failures_;
    s.cached_bytes = cached_bytes_;
  }
  s.released = *released_;
  s.upload = uploads_.stats();
  return s;
}

uint64_t TieredStore::pending_bytes(const std::vector<BlockId>& ids) {
  std::vector<bool> waiting = uploads_.waiting(ids);
  uint64_t bytes = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!waiting[i]) continue;
    // A block queued and then collected has no bytes left to send.
    (void)local_.view(ids[i], [&](ByteView data) {
      bytes += data.size();
      return Status();
    });
  }
  return bytes;
}

}  // namespace peerstore
