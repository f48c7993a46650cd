// FileSystem: file content (read, write, truncate, fallocate), open files, xattrs, commits.
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/falloc.h>
#include <sys/xattr.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/log.h"
#include "fs/file_system.h"

namespace peerstore {
namespace {

constexpr size_t kChunk = ChunkTree::kChunkSize;
constexpr size_t kSegment = ChunkPatch::kSegment;
// What a dirty chunk will cost the store once sealed.
constexpr uint64_t kChunkCost = LocalStore::cost_of_block(max_sealed_size(kChunk));

}  // namespace

Status FileSystem::ensure_chunks(Node& n) {
  PS_TRY(table_.load_content(n));
  if (n.chunks) return {};
  n.chunks = std::make_unique<ChunkTree>(volume_->io());
  if (!n.rec.inline_data.empty()) {
    auto buf = std::make_shared<Bytes>(kChunk, 0);
    std::memcpy(buf->data(), n.rec.inline_data.data(), n.rec.inline_data.size());
    n.chunks->at(0).buf = std::move(buf);
    ++dirty_chunks_;
    dirty_bytes_ += kChunk;
    n.rec.inline_data.clear();
  }
  return {};
}

Result<std::shared_ptr<Bytes>> FileSystem::chunk_buffer(Node& n, uint64_t idx, size_t lo,
                                                        size_t hi) {
  ChunkTree::Slot& s = n.chunks->at(idx);
  if (s.buf) {
    if (s.buf.use_count() > 1) s.buf = std::make_shared<Bytes>(*s.buf);  // a sealer holds it
    return s.buf;
  }
  uint64_t start = idx * kChunk;
  size_t valid = start >= n.rec.size ? 0 : size_t(std::min<uint64_t>(kChunk, n.rec.size - start));
  if (s.patch) {
    // The whole chunk from here on (a truncation, a hole punched, a write over a buffer).
    PS_ASSIGN(s.buf, s.patch->materialize(volume_->io(), s.ptr, valid));
    dirty_bytes_ += kChunk - std::min<uint64_t>(kChunk, s.patch->segments() * kSegment);
    s.patch.reset();
    return s.buf;
  }
  auto buf = std::make_shared<Bytes>(kChunk, 0);
  if (s.ptr && !(lo == 0 && hi >= valid)) {
    PS_ASSIGN(Bytes old, volume_->io().read(*s.ptr));
    std::memcpy(buf->data(), old.data(), std::min(old.size(), std::min(valid, kChunk)));
  }
  s.buf = buf;
  ++dirty_chunks_;
  dirty_bytes_ += kChunk;
  return buf;
}

Status FileSystem::patch_chunk(Node& n, uint64_t idx, size_t lo, ByteView data) {
  ChunkTree::Slot& s = n.chunks->at(idx);
  uint64_t start = idx * kChunk;
  size_t valid = start >= n.rec.size ? 0 : size_t(std::min<uint64_t>(kChunk, n.rec.size - start));
  if (!s.patch) {
    s.patch = std::make_shared<ChunkPatch>();
    ++dirty_chunks_;
  } else if (s.patch.use_count() > 1) {
    s.patch = std::make_shared<ChunkPatch>(*s.patch);  // a sealer holds it
  }
  PS_ASSIGN(size_t added, s.patch->write(volume_->io(), s.ptr, valid, lo, data));
  dirty_bytes_ += added * kSegment;
  if (s.patch->full()) {  // written all over: a buffer, which needs no read to seal
    s.buf = s.patch->take_whole();
    s.patch.reset();
  }
  return {};
}

int FileSystem::open(uint64_t ino, int flags) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "open");
  if ((*n)->rec.is_dir()) return EISDIR;
  // libfuse 3 asks for FUSE_CAP_ATOMIC_O_TRUNC: the kernel then passes O_TRUNC to open instead
  // of a setattr of the size, and only empties its own cache. Without this, the file kept its
  // old bytes past what was written after the open (seen once the kernel forgot the inode).
  if ((flags & O_TRUNC) && (*n)->rec.is_file() && (*n)->rec.size > 0) {
    timespec t = now();
    if (int e = resize_locked(**n, 0, t)) return e;
    (*n)->rec.ctime = t;
    table_.mark_dirty(**n);
    changed_ = true;
    commit_soon();
  }
  (*n)->open_count++;
  return 0;
}

int FileSystem::create(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, int,
                       EntryOut* out) {
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "create");
  Node* n;
  if (int e = new_node(c, **p, name, S_IFREG | (mode & 07777), 0, {}, &n)) return e;
  n->open_count++;
  return entry_reply(*n, out);
}

int FileSystem::release(uint64_t ino) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "release");
  if ((*n)->open_count > 0) (*n)->open_count--;
  if ((*n)->unlinked && (*n)->open_count == 0) (*n)->chunks.reset();  // free its buffers now
  if ((*n)->dirty) commit_soon();  // a written file closed: other computers should see it soon
  return 0;
}

std::vector<InodeRecord> FileSystem::open_unlinked() {
  std::lock_guard lock(mu_);
  std::vector<InodeRecord> out;
  table_.for_each_loaded([&](const Node& n) {
    if (n.unlinked && n.open_count > 0) out.push_back(n.rec);
  });
  return out;
}

int FileSystem::flush(uint64_t ino) {
  std::lock_guard lock(mu_);
  if (!commit_errno_) return 0;
  Node* n = table_.find_loaded(ino);
  return n && n->last_write > committed_seq_ ? commit_errno_ : 0;
}

uint64_t FileSystem::unstored() const {
  return dirty_chunks_ * kChunkCost + volume_->io().unstored_cost();
}

Result<SpaceBudget::Look> FileSystem::look_at_store(bool settled) {
  // Read before the queue: a chunk counted here is in BlockIo's queue (or stored) already.
  uint64_t in_both = sealed_not_installed_.load();
  PS_ASSIGN(BlockIo::Room r, volume_->io().room(settled));
  uint64_t unstored = dirty_chunks_ * kChunkCost + r.unstored;
  return SpaceBudget::Look{r.space, unstored - std::min(unstored, in_both)};
}

bool FileSystem::room_for(uint64_t bytes, bool metadata) {
  bool ok = metadata ? space_.admit_metadata() : space_.admit_data(bytes);
  bool& refusing = refusing_[metadata];
  if (!ok && !refusing)
    log::warn(std::string("the store is full: new ") + (metadata ? "names" : "file data") +
              " refused with ENOSPC (" + space_.last_refusal() + ")");
  if (ok && refusing)
    log::info(std::string("the store takes new ") + (metadata ? "names" : "file data") + " again");
  refusing = !ok;
  return ok;
}

int FileSystem::read(uint64_t ino, uint64_t off, size_t size, Bytes* out) {
  struct Fetch {
    BlockPtr ptr;
    size_t lo, hi, at;
  };
  std::vector<Fetch> fetches;
  {
    std::lock_guard lock(mu_);
    auto np = node(ino);
    if (!np) return err(np.error(), "read");
    Node& n = **np;
    if (n.rec.is_dir()) return EISDIR;
    if (off >= n.rec.size) {
      out->clear();
      return 0;
    }
    size_t len = size_t(std::min<uint64_t>(size, n.rec.size - off));
    out->assign(len, 0);
    if (!n.chunked()) {
      auto& d = n.rec.inline_data;
      if (off < d.size())
        std::memcpy(out->data(), d.data() + off, std::min<size_t>(len, d.size() - off));
      return 0;
    }
    if (auto st = table_.load_content(n); !st) return err(st.error(), "read");
    if (!n.chunks) return 0;  // all holes
    uint64_t end = off + len;
    for (uint64_t idx = off / kChunk; idx * kChunk < end; ++idx) {
      const ChunkTree::Slot* s = n.chunks->find(idx);
      if (!s) continue;
      uint64_t start = idx * kChunk;
      size_t lo = size_t(std::max(off, start) - start);
      size_t hi = size_t(std::min(end, start + kChunk) - start);
      size_t at = size_t(start + lo - off);
      if (s->buf) {
        std::memcpy(out->data() + at, s->buf->data() + lo, hi - lo);
      } else if (s->patch) {
        // What the patch holds now; the rest from the sealed block below (zeros if none).
        for (auto [a, b] : s->patch->copy_held(lo, hi, out->data() + at))
          if (s->ptr) fetches.push_back({*s->ptr, a, b, at + (a - lo)});
      } else if (s->ptr) {
        fetches.push_back({*s->ptr, lo, hi, at});
      }
    }
  }
  for (auto& f : fetches) {
    size_t copied;
    if (!volume_->io().read_range(f.ptr, f.lo, f.hi, out->data() + f.at, &copied))
      return EIO;  // BlockIo logged which block
  }
  return 0;
}

ssize_t FileSystem::write(uint64_t ino, uint64_t off, ByteView data) {
  if (data.empty()) return 0;
  uint64_t end = off + data.size();
  if (end > kMaxFileSize || end < off) return -EFBIG;
  std::vector<std::pair<uint64_t, std::shared_ptr<Bytes>>> to_seal;
  bool over_limit = false;
  {
    std::unique_lock lock(mu_);
    // Back-pressure: past twice the dirty limit (writes going on while a commit seals), a
    // writer waits for the commit that the limit started (if a committer runs; without one
    // the caller commits); memory stays bounded.
    while (dirty_bytes_ > 2 * kDirtyBytesLimit && !commit_errno_ && committer_.joinable())
      dirty_drained_.wait_for(lock, std::chrono::milliseconds(20));
    auto np = node(ino);
    if (!np) return -err(np.error(), "write");
    Node& n = **np;
    if (!n.rec.is_file()) return n.rec.is_dir() ? -EISDIR : -EINVAL;
    // Commits are failing (disk full, I/O errors): stop taking data we could only lose.
    if (commit_errno_ && unstored() > kDirtyChunkLimit * kChunkCost) return -commit_errno_;
    if (!n.chunked() && end <= kInlineMax) {
      // Inline data is part of the inode record: metadata.
      if (end > n.rec.inline_data.size() && !room_for(0, true)) return -ENOSPC;
      auto& d = n.rec.inline_data;
      if (d.size() < end) d.resize(end, 0);
      std::memcpy(d.data() + off, data.data(), data.size());
    } else {
      if (auto st = ensure_chunks(n); !st) return -err(st.error(), "write");
      // Refused before any change if the chunks it dirties might not fit in the store.
      uint64_t fresh = 0;
      for (uint64_t idx = off / kChunk; idx * kChunk < end; ++idx) {
        const ChunkTree::Slot* s = n.chunks->find(idx);
        if (!s || !s->dirty()) ++fresh;
      }
      if (fresh && !room_for(fresh * kChunkCost)) return -ENOSPC;
      for (uint64_t idx = off / kChunk; idx * kChunk < end; ++idx) {
        uint64_t start = idx * kChunk;
        size_t lo = size_t(std::max(off, start) - start);
        size_t hi = size_t(std::min(end, start + kChunk) - start);
        const uint8_t* src = data.data() + (start + lo - off);
        ChunkTree::Slot* whole = lo == 0 && hi == kChunk ? &n.chunks->at(idx) : nullptr;
        if (whole && (!whole->buf || whole->buf.use_count() > 1)) {
          // Overwritten whole: build the buffer from the data, no zero fill, no old content.
          if (!whole->dirty()) ++dirty_chunks_;
          if (whole->patch)
            dirty_bytes_ -= std::min(dirty_bytes_, whole->patch->segments() * kSegment);
          if (!whole->buf) dirty_bytes_ += kChunk;
          whole->patch.reset();
          whole->buf = std::make_shared<Bytes>(src, src + kChunk);
          to_seal.emplace_back(idx, whole->buf);
          continue;
        }
        const ChunkTree::Slot* cur = whole ? whole : n.chunks->find(idx);
        if (!whole && cur && !cur->buf && (cur->patch || cur->ptr)) {
          // Part of a sealed chunk (a random writer): the segments written, over the block.
          if (auto st = patch_chunk(n, idx, lo, ByteView(src, hi - lo)); !st)
            return -err(st.error(), "write");
          // Written all over by now, up to its end: sealed now, as a sequential writer's is.
          if (hi == kChunk && cur->buf) to_seal.emplace_back(idx, cur->buf);
          continue;
        }
        auto buf = chunk_buffer(n, idx, lo, hi);
        if (!buf) return -err(buf.error(), "write");
        std::memcpy((*buf)->data() + lo, src, hi - lo);
        // A chunk written up to its end is likely complete (sequential writers): seal it now,
        // outside the lock, so memory stays bounded and commits stay short.
        if (hi == kChunk) to_seal.emplace_back(idx, *buf);
      }
    }
    n.rec.size = std::max(n.rec.size, end);
    n.rec.mtime = n.rec.ctime = now();
    n.last_write = ++write_seq_;
    table_.mark_dirty(n);
    changed_ = true;
    over_limit = dirty_bytes_ > kDirtyBytesLimit;
  }
  if (over_limit) {
    std::lock_guard lock(commit_mu_);
    commit_requested_ = true;
    wake_.notify_all();
  }
  for (auto& [idx, buf] : to_seal)
    sealer_->seal_here(buf, kChunk, on_sealed(ino, idx, buf, nullptr));
  return ssize_t(data.size());
}

ChunkSealer::Done FileSystem::on_sealed(uint64_t ino, uint64_t idx, std::shared_ptr<Bytes> buf,
                                        std::shared_ptr<ChunkPatch> patch) {
  const void* version = buf ? static_cast<const void*>(buf.get()) : patch.get();
  // The callback keeps what it sealed alive, so `version` names it until the install.
  return [this, ino, idx, version, buf, patch](Result<BlockPtr> sealed) {
    // From here until install_sealed takes the lock, the chunk is queued in BlockIo and still
    // dirty: the space budget's look must not count it twice.
    if (sealed) sealed_not_installed_ += kChunkCost;
    install_sealed(ino, idx, version, sealed);
  };
}

void FileSystem::seal_async(uint64_t ino, uint64_t idx, std::shared_ptr<Bytes> buf,
                            std::shared_ptr<ChunkPatch> patch, std::optional<BlockPtr> old,
                            size_t len) {
  auto done = on_sealed(ino, idx, buf, patch);
  if (buf) return sealer_->submit(buf, len, std::move(done));
  BlockIo& io = volume_->io();
  sealer_->submit(
      [&io, patch, old, len]() -> Result<std::shared_ptr<const Bytes>> {
        PS_ASSIGN(auto whole, patch->materialize(io, old, len));
        return std::shared_ptr<const Bytes>(std::move(whole));
      },
      len, std::move(done));
}

void FileSystem::install_sealed(uint64_t ino, uint64_t idx, const void* version,
                                const Result<BlockPtr>& sealed) {
  if (!sealed) return;  // the chunk stays dirty; the next commit seals it and reports errors
  std::lock_guard lock(mu_);
  sealed_not_installed_ -= kChunkCost;  // installed below, or both copies are real from now on
  Node* n = table_.find_loaded(ino);
  if (!n || !n->chunks) return;
  const ChunkTree::Slot* s = n->chunks->find(idx);
  // Changed or truncated meanwhile: stays as it is.
  if (!s || (s->buf ? static_cast<const void*>(s->buf.get()) : s->patch.get()) != version) return;
  ChunkTree::Slot& slot = n->chunks->at(idx);
  uint64_t held = slot.buf ? kChunk : slot.patch->segments() * kSegment;
  dirty_bytes_ -= std::min(dirty_bytes_, held);
  slot.ptr = *sealed;
  slot.buf.reset();
  slot.patch.reset();
  if (dirty_chunks_ > 0) --dirty_chunks_;
  if (dirty_bytes_ <= kDirtyBytesLimit) dirty_drained_.notify_all();
}

bool FileSystem::preseal() {
  struct Job {
    uint64_t ino, idx;
    std::shared_ptr<Bytes> buf;
    std::shared_ptr<ChunkPatch> patch;
    std::optional<BlockPtr> old;
    size_t len;
  };
  std::vector<Job> jobs;
  {
    std::lock_guard lock(mu_);
    if (dirty_chunks_ < kPresealAt) return false;
    jobs.reserve(dirty_chunks_);
    table_.for_each_loaded([&](const Node& n) {
      if (!n.rec.is_file() || !n.chunks) return;
      for (auto& [idx, s] : n.chunks->slots()) {
        if (!s.dirty()) continue;
        uint64_t start = idx * kChunk;
        size_t len =
            start >= n.rec.size ? 0 : size_t(std::min<uint64_t>(kChunk, n.rec.size - start));
        jobs.push_back(Job{n.ino(), idx, s.buf, s.patch, s.ptr, len});
      }
    });
  }
  for (auto& j : jobs)
    seal_async(j.ino, j.idx, std::move(j.buf), std::move(j.patch), std::move(j.old), j.len);
  sealer_->drain();
  return true;
}

Status FileSystem::truncate(Node& n, uint64_t size) {
  InodeRecord& r = n.rec;
  if (size == r.size) return {};
  if (!n.chunked() && size <= kInlineMax) {
    r.inline_data.resize(size, 0);
    r.size = size;
    return {};
  }
  PS_TRY(ensure_chunks(n));
  if (size == 0) {
    n.chunks.reset();
    r.root.reset();
    r.depth = 0;
    r.entries = 0;
    r.size = 0;
    return {};
  }
  n.chunks->erase_from((size + kChunk - 1) / kChunk);
  if (size < r.size && size % kChunk) {
    uint64_t idx = size / kChunk;
    if (n.chunks->find(idx)) {
      size_t cut = size % kChunk;
      PS_ASSIGN(auto buf, chunk_buffer(n, idx, cut, cut));
      std::memset(buf->data() + cut, 0, kChunk - cut);  // keeps "zeros past EOF" true
    }
  }
  r.size = size;
  return {};
}

Status FileSystem::zero_range(Node& n, uint64_t off, uint64_t len) {
  InodeRecord& r = n.rec;
  uint64_t end = std::min(off + len, r.size);
  if (off >= end) return {};
  if (!n.chunked()) {
    if (off < r.inline_data.size())
      std::memset(r.inline_data.data() + off, 0,
                  size_t(std::min<uint64_t>(end, r.inline_data.size()) - off));
    return {};
  }
  PS_TRY(ensure_chunks(n));
  for (uint64_t idx = off / kChunk; idx * kChunk < end; ++idx) {
    if (!n.chunks->find(idx)) continue;
    uint64_t start = idx * kChunk;
    size_t lo = size_t(std::max(off, start) - start);
    size_t hi = size_t(std::min(end, start + kChunk) - start);
    size_t valid = size_t(std::min<uint64_t>(kChunk, r.size - start));
    if (lo == 0 && hi >= valid) {
      n.chunks->erase(idx);  // a whole chunk of zeros is a hole
      continue;
    }
    PS_ASSIGN(auto buf, chunk_buffer(n, idx, lo, lo));
    std::memset(buf->data() + lo, 0, hi - lo);
  }
  return {};
}

int FileSystem::fallocate(uint64_t ino, int mode, uint64_t off, uint64_t len) {
  std::lock_guard lock(mu_);
  auto np = node(ino);
  if (!np) return err(np.error(), "fallocate");
  Node& n = **np;
  if (!n.rec.is_file()) return n.rec.is_dir() ? EISDIR : ENODEV;
  if (off + len > kMaxFileSize || off + len < off) return EFBIG;
  bool keep = mode & FALLOC_FL_KEEP_SIZE;
  int kind = mode & ~FALLOC_FL_KEEP_SIZE;
  Status st;
  if (kind == 0) {
    // Nothing to reserve in a content-addressed store, where a hole costs nothing; but a range
    // that does not fit now is refused, as programs that preallocate expect.
    uint64_t grow = off + len > n.rec.size ? off + len - n.rec.size : 0;
    uint64_t chunks = (grow + kChunk - 1) / kChunk;
    if (grow && !room_for(chunks * kChunkCost)) return ENOSPC;
  } else if (kind == FALLOC_FL_PUNCH_HOLE) {
    if (!keep) return EOPNOTSUPP;
    st = zero_range(n, off, len);
  } else if (kind == FALLOC_FL_ZERO_RANGE) {
    st = zero_range(n, off, len);
  } else {
    return EOPNOTSUPP;
  }
  if (st && !keep && off + len > n.rec.size) st = truncate(n, off + len);
  if (!st) return err(st.error(), "fallocate");
  n.rec.ctime = now();
  if (kind != 0) n.rec.mtime = n.rec.ctime;
  table_.mark_dirty(n);
  changed_ = true;
  return 0;
}

int FileSystem::setxattr(uint64_t ino, std::string_view name, ByteView value, int flags) {
  if (name.empty()) return EINVAL;
  if (name.size() > XATTR_NAME_MAX) return ERANGE;
  if (name.substr(0, 7) == "system.") return EOPNOTSUPP;  // no ACLs
  if (is_health_xattr(name)) return EPERM;                // computed, not stored
  if (value.size() > kMaxXattrValue) return E2BIG;
  std::lock_guard lock(mu_);
  auto np = node(ino);
  if (!np) return err(np.error(), "setxattr");
  if (!room_for(0, true)) return ENOSPC;
  auto& xs = (*np)->rec.xattrs;
  auto it = xs.find(std::string(name));
  if ((flags & XATTR_CREATE) && it != xs.end()) return EEXIST;
  if ((flags & XATTR_REPLACE) && it == xs.end()) return ENODATA;
  size_t total = name.size() + value.size();
  for (auto& [k, v] : xs)
    if (k != name) total += k.size() + v.size();
  if (total > kMaxXattrTotal) return ENOSPC;
  xs[std::string(name)] = Bytes(value.begin(), value.end());
  (*np)->rec.ctime = now();
  table_.mark_dirty(**np);
  changed_ = true;
  commit_soon();
  return 0;
}

int FileSystem::getxattr(uint64_t ino, std::string_view name, size_t size, Bytes* out,
                         size_t* out_size) {
  if (is_health_xattr(name)) {
    std::string value;
    // A size query gets room for any value (20 digits), not a commit and a ring query whose
    // answer may have grown by the time the caller asks again.
    if (int e = health_xattr(ino, name, size == 0 ? nullptr : &value)) return e;
    if (size == 0) {
      *out_size = kMaxHealthValue;
      return 0;
    }
    *out_size = value.size();
    if (size == 0) return 0;
    if (size < value.size()) return ERANGE;
    *out = Bytes(value.begin(), value.end());
    return 0;
  }
  std::lock_guard lock(mu_);
  auto np = node(ino);
  if (!np) return err(np.error(), "getxattr");
  auto& xs = (*np)->rec.xattrs;
  auto it = xs.find(std::string(name));
  if (it == xs.end()) return ENODATA;
  *out_size = it->second.size();
  if (size == 0) return 0;
  if (size < it->second.size()) return ERANGE;
  *out = it->second;
  return 0;
}

int FileSystem::listxattr(uint64_t ino, size_t size, Bytes* out, size_t* out_size) {
  std::lock_guard lock(mu_);
  auto np = node(ino);
  if (!np) return err(np.error(), "listxattr");
  Bytes list;
  for (auto& [k, v] : (*np)->rec.xattrs) {
    if (is_health_xattr(k)) continue;  // the file system's own records (set_hidden)
    list.insert(list.end(), k.begin(), k.end());
    list.push_back(0);
  }
  *out_size = list.size();
  if (size == 0) return 0;
  if (size < list.size()) return ERANGE;
  *out = std::move(list);
  return 0;
}

int FileSystem::removexattr(uint64_t ino, std::string_view name) {
  if (is_health_xattr(name)) return EPERM;
  std::lock_guard lock(mu_);
  auto np = node(ino);
  if (!np) return err(np.error(), "removexattr");
  if ((*np)->rec.xattrs.erase(std::string(name)) == 0) return ENODATA;
  (*np)->rec.ctime = now();
  table_.mark_dirty(**np);
  changed_ = true;
  commit_soon();
  return 0;
}

Status FileSystem::flush_content(Node& n) {
  if (n.rec.is_file() && n.chunks) {
    PS_ASSIGN(auto root, n.chunks->flush(n.rec.size));
    n.rec.root = root.first;
    n.rec.depth = root.second;
    n.rec.entries = n.chunks->chunk_count();
  } else if (n.rec.is_dir() && n.dir) {
    PS_ASSIGN(n.rec.root, n.dir->flush());
  }
  return {};
}

}  // namespace peerstore
