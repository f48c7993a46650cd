#include "fs/block_io.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "common/thread_name.h"

namespace peerstore {

BlockIo::BlockIo(LocalStore& store, const Secret& convergence, BlockSuite suite)
    : store_(store), convergence_(convergence), suite_(suite), writer_([this] {
        name_this_thread("ps-store");
        writer_loop();
      }) {}

BlockIo::~BlockIo() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

BlockIo::Shared BlockIo::queued(const BlockId& id) const {
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(id); it != pending_.end()) return it->second;
  for (auto& b : in_flight_)
    if (auto it = b.find(id); it != b.end()) return it->second;
  return nullptr;
}

Status BlockIo::view(const BlockId& id, const std::function<Status(ByteView)>& fn) {
  if (Shared q = queued(id)) return fn(q->view());
  return store_.view(id, fn);
}

Result<Bytes> BlockIo::read(const BlockPtr& ptr) {
  Bytes plain;
  Status st = view(ptr.id, [&](ByteView data) -> Status {
    // The AEAD tag authenticates the content under the key from the (authenticated) parent,
    // so a separate id hash check adds nothing for local reads.
    PS_ASSIGN(plain, open_block(data, ptr));
    return {};
  });
  if (!st) {
    log::error("block " + ptr.id.hex() + " is unreadable: " + st.error().message());
    return fail(st.code() == Errc::not_found ? Errc::not_found : Errc::corrupt,
                "block " + ptr.id.short_hex());
  }
  return plain;
}

Status BlockIo::read_range(const BlockPtr& ptr, size_t lo, size_t hi, uint8_t* out,
                           size_t* copied) {
  *copied = 0;
  Status st;
  if (Shared q = queued(ptr.id)) {
    st = open_block_range(q->view(), ptr, lo, hi, out, copied);
  } else if (ptr.suite == BlockSuite::aes_gcm_sha256 && hi > lo && hi - lo <= kMaxPartRead) {
    // Only the segments the range touches, copied out of the store rather than mapped: a 4 KiB
    // read reads 4 KiB, and no page of the store joins this process's memory.
    size_t off = 0, len = 0, sealed = 0;
    sealed_span(lo, hi, &off, &len);
    thread_local Bytes part;  // ciphertext only; grows to the largest span read
    if (part.size() < len) part.resize(len);
    st = store_.read_part(ptr.id, off, len, part.data(), &sealed);
    if (st) {
      size_t got = off < sealed ? std::min(len, sealed - off) : 0;
      st = open_block_part(ByteView(part.data(), got), off, sealed, ptr, lo, hi, out, copied);
    }
  } else {
    st = store_.view(ptr.id, [&](ByteView data) -> Status {
      return open_block_range(data, ptr, lo, hi, out, copied);
    });
  }
  if (!st) {
    log::error("block " + ptr.id.hex() + " is unreadable: " + st.error().message());
    return fail(st.code() == Errc::not_found ? Errc::not_found : Errc::corrupt,
                "block " + ptr.id.short_hex());
  }
  return {};
}

Result<BlockPtr> BlockIo::write(ByteView plaintext) {
  size_t n = sealed_size(suite_, plaintext.size());
  auto blob = std::make_shared<Blob>(Blob{std::make_shared_for_overwrite<uint8_t[]>(n), n});
  BlockPtr ptr = seal_block_into(plaintext, convergence_, blob->data.get(), suite_);
  uint64_t cost = blob->cost();
  std::unique_lock lock(mu_);
  auto [it, inserted] = pending_.try_emplace(ptr.id, std::move(blob));
  if (inserted) pending_bytes_ += n, pending_cost_ += cost, written_.push_back(ptr.id);
  if (pending_bytes_ >= kSpillBytes) {
    changed_.wait(lock, [this] { return in_flight_.size() < kMaxBatchesInFlight || stop_; });
    if (pending_bytes_ >= kSpillBytes) {  // nobody else handed it over meanwhile
      in_flight_.push_back(std::move(pending_));
      pending_.clear();
      pending_bytes_ = 0;
      pending_cost_ = 0;
      changed_.notify_all();
    }
  }
  return ptr;
}

void BlockIo::write_raw(const BlockId& id, ByteView bytes) {
  auto blob = std::make_shared<Blob>(
      Blob{std::make_shared_for_overwrite<uint8_t[]>(bytes.size()), bytes.size()});
  std::copy(bytes.begin(), bytes.end(), blob->data.get());
  std::lock_guard lock(mu_);
  auto [it, inserted] = pending_.try_emplace(id, std::move(blob));
  if (inserted) {
    pending_bytes_ += bytes.size(), pending_cost_ += LocalStore::cost_of_block(bytes.size());
    written_.push_back(id);
  }
}

Result<Bytes> BlockIo::read_raw(const BlockId& id) {
  if (Shared q = queued(id)) return Bytes(q->view().begin(), q->view().end());
  return store_.get(id);
}

Status BlockIo::write_batch(const Batch& blocks, const VolumeId* volume,
                            const std::vector<Bytes>* heads, std::vector<BlockId> claims) {
  WriteBatch batch;
  batch.blocks.reserve(blocks.size());
  for (auto& [id, data] : blocks) batch.blocks.push_back({id, data->view()});
  if (volume) batch.heads.emplace_back(*volume, *heads);
  if (volume && !claims.empty()) batch.claims.emplace_back(*volume, std::move(claims));
  batch.durable = volume != nullptr;  // only a commit must survive a power cut
  return store_.write(batch);
}

void BlockIo::writer_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [this] { return (!in_flight_.empty() && !committing_) || stop_; });
    if (in_flight_.empty() || committing_) {
      if (stop_ && !committing_) return;
      continue;
    }
    const Batch& front = in_flight_.front();  // deque keeps references stable at the front
    writing_ = true;
    lock.unlock();
    Status st = write_batch(front, nullptr, nullptr);
    lock.lock();
    writing_ = false;
    if (!st) {
      // Keep the blocks: the next commit retries them and reports the error to fsync. (Taking
      // no more blocks meanwhile would fail that commit too: it seals the tree through write.)
      log::error("writing blocks: " + st.error().message());
      for (auto& [id, data] : in_flight_.front())
        if (pending_.try_emplace(id, data).second)
          pending_bytes_ += data->size, pending_cost_ += data->cost();
    }
    in_flight_.pop_front();
    changed_.notify_all();
  }
}

Status BlockIo::commit(const VolumeId& volume, const std::vector<Bytes>& heads) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return in_flight_.empty() && !committing_; });
  // The tail becomes the front batch, readable while this thread writes it with the head;
  // batches spilled meanwhile queue behind it and the writer thread waits for us.
  committing_ = true;
  in_flight_.push_back(std::move(pending_));
  pending_.clear();
  pending_bytes_ = 0;
  pending_cost_ = 0;
  const Batch& tail = in_flight_.front();
  std::vector<BlockId> claims = std::move(written_);
  written_.clear();
  std::sort(claims.begin(), claims.end());
  claims.erase(std::unique(claims.begin(), claims.end()), claims.end());
  lock.unlock();
  Status st = write_batch(tail, &volume, &heads, claims);
  lock.lock();
  if (!st) {
    // The next commit claims them (with what is written meanwhile).
    written_.insert(written_.end(), claims.begin(), claims.end());
    for (auto& [id, data] : in_flight_.front())
      if (pending_.try_emplace(id, data).second)
        pending_bytes_ += data->size, pending_cost_ += data->cost();
  }
  in_flight_.pop_front();
  committing_ = false;
  changed_.notify_all();
  return st;
}

uint64_t BlockIo::unstored_cost() const {
  std::lock_guard lock(mu_);
  return unstored_cost_locked();
}

uint64_t BlockIo::unstored_cost_locked() const {
  uint64_t cost = pending_cost_;
  for (const Batch& b : in_flight_)  // at most a few batches of kSpillBytes
    for (auto& [id, data] : b) cost += data->cost();
  return cost;
}

void BlockIo::look_up_queued_locked() {
  auto look = [this](const Shared& blob, const BlockId& id) {
    if (blob->looked_up) return;
    blob->looked_up = true;
    auto had = store_.contains(id);
    blob->stored = had.ok() && *had;
  };
  for (auto& [id, blob] : pending_) {
    if (blob->looked_up) continue;
    uint64_t before = blob->cost();
    look(blob, id);
    pending_cost_ -= before - blob->cost();
  }
  for (const Batch& b : in_flight_)
    for (auto& [id, blob] : b) look(blob, id);
}

Result<BlockIo::Room> BlockIo::room(bool settled) {
  std::unique_lock lock(mu_);
  // Between the store's commit of a batch and its removal from in_flight_ below, the batch
  // counts both as used in the store and as unstored here. While mu_ is held and no batch is
  // being written, none can start or finish: the two numbers agree.
  if (settled) {
    changed_.wait(lock, [this] { return !writing_ && !committing_; });
    look_up_queued_locked();
  }
  PS_ASSIGN(StoreSpace space, store_.space());
  return Room{space, unstored_cost_locked()};
}

}  // namespace peerstore
