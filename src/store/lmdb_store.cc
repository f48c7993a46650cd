#include "store/lmdb_store.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "store/head_list_codec.h"
#include "store/lmdb_table.h"
#include "store/lmdb_util.h"
#include "store/map_budget.h"
#include "store/unsynced_marker.h"

namespace peerstore {
namespace {

// Address space, not disk: LMDB maps the file sparsely and grows it as blocks arrive.
constexpr size_t kMapSize = size_t(1) << 40;

using lmdb::bytes_of;
using lmdb::Txn;
using lmdb::val;

Error lmdb_error(int rc, const std::string& what) {
  return lmdb::error(rc, what);
}

}  // namespace

struct LmdbStore::Env {
  MDB_env* env = nullptr;
  MDB_dbi blocks = 0;
  MapBudget map;  // what reads through the map may keep of it in this process's RSS
  int fd = -1;    // the data file, for read_part
  std::string dir;
  std::atomic<uint64_t> capacity{0};

  // Background sync (LmdbOptions::background_sync_ms > 0). `marker_mu` is held across every
  // unsynced commit and across removing the marker, so no commit is ever unsynced without it.
  int64_t sync_every_ms = 0;
  std::string boot_id;
  std::mutex marker_mu;
  bool marked = false;                // guarded by marker_mu
  std::atomic<bool> unsynced{false};  // an unsynced commit since the syncer last looked
  std::atomic<uint64_t> background_syncs{0};
  std::mutex sync_mu;
  std::condition_variable sync_cv;
  bool sync_stop = false;  // guarded by sync_mu
  std::thread syncer;

  ~Env() {
    stop_syncing();
    if (env) mdb_env_close(env);
  }
  void sync_loop();
  void stop_syncing();
  // Before an unsynced commit, with marker_mu held.
  Status mark_unsynced();
  // What the environment can still take. Without `exact`, LMDB's free list (pages that later
  // writes reuse) is not counted: scanning it takes time, and it only matters when space is low.
  Result<StoreSpace> space(bool exact);
  Result<uint64_t> free_list_pages();
};

Result<MDB_dbi> LmdbStore::open_db(MDB_env* env, const std::string& name) {
  Txn txn;
  MDB_dbi dbi = 0;
  int rc = lmdb::begin_write(env, lmdb::CommitSync::full, txn);
  if (rc) return lmdb_error(rc, "store txn");
  if ((rc = mdb_dbi_open(txn.t, name.c_str(), MDB_CREATE, &dbi)))
    return lmdb_error(rc, name + " db");
  if ((rc = txn.commit())) return lmdb_error(rc, "store init");
  return dbi;
}

Result<std::unique_ptr<LmdbStore>> LmdbStore::open(const std::string& dir,
                                                   const LmdbOptions& options) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(Errc::io, "cannot create store directory " + dir + ": " + std::strerror(errno));
  std::string boot = options.boot_id.empty() ? unsynced_marker::current_boot_id() : options.boot_id;
  PS_TRY(unsynced_marker::check(dir, boot));
  if (options.background_sync_ms > 0 && boot.empty())
    return fail(Errc::invalid,
                "acknowledging before the disk sync needs the kernel's boot id "
                "(/proc/sys/kernel/random/boot_id), to tell a power cut from a crash");
  auto env = std::make_shared<Env>();
  int rc = mdb_env_create(&env->env);
  if (rc) return lmdb_error(rc, "lmdb env");
  mdb_env_set_mapsize(env->env, kMapSize);
  mdb_env_set_maxdbs(env->env, 16);
  mdb_env_set_maxreaders(env->env, 256);
  rc = mdb_env_open(env->env, dir.c_str(), MDB_NOTLS, 0600);
  if (rc) return lmdb_error(rc, "cannot open store in " + dir);
  PS_ASSIGN(env->blocks, open_db(env->env, "blocks"));
  PS_ASSIGN(MDB_dbi heads, open_db(env->env, "heads"));
  env->map.attach(dir + "/data.mdb");
  if (mdb_env_get_fd(env->env, &env->fd) != 0) env->fd = -1;
  env->dir = dir;
  if (options.background_sync_ms > 0) {
    if (env->fd < 0) return fail(Errc::io, "cannot sync the store in " + dir + ": no file");
    env->sync_every_ms = options.background_sync_ms;
    env->boot_id = boot;
    // A marker of this boot (a crash of the process) stays until a sync has covered its commits.
    env->marked = ::access((dir + "/" + unsynced_marker::kFileName).c_str(), F_OK) == 0;
    env->unsynced = env->marked;
    env->syncer = std::thread([e = env.get()] { e->sync_loop(); });
  }
  return std::unique_ptr<LmdbStore>(new LmdbStore(std::move(env), heads));
}

Result<std::unique_ptr<LmdbStore>> LmdbStore::with_heads_db(const std::string& name) {
  PS_ASSIGN(MDB_dbi heads, open_db(env_->env, name));
  return std::unique_ptr<LmdbStore>(new LmdbStore(env_, heads));
}

Result<std::unique_ptr<KvTable>> LmdbStore::table(const std::string& name) {
  PS_ASSIGN(MDB_dbi dbi, open_db(env_->env, name));
  return std::unique_ptr<KvTable>(new LmdbTable(env_, env_->env, dbi, env_->map));
}

LmdbStore::~LmdbStore() = default;

Status LmdbStore::view(const BlockId& id, const std::function<Status(ByteView)>& fn) {
  Txn txn;
  int rc = mdb_txn_begin(env_->env, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb_error(rc, "read txn");
  MDB_val k = val(id.view()), v;
  MapBudget::Scope faults(env_->map);  // the lookup's pages, and what `fn` reads of the value
  rc = mdb_get(txn.t, env_->blocks, &k, &v);
  if (rc == MDB_NOTFOUND) return fail(Errc::not_found, "block " + id.short_hex());
  if (rc) return lmdb_error(rc, "read block " + id.short_hex());
  return fn(bytes_of(v));  // the map stays valid while the read transaction lives
}

Status LmdbStore::read_part(const BlockId& id, size_t off, size_t len, uint8_t* out, size_t* size) {
  Txn txn;
  int rc = mdb_txn_begin(env_->env, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb_error(rc, "read txn");
  MDB_val k = val(id.view()), v;
  rc = mdb_get(txn.t, env_->blocks, &k, &v);  // for a large value, touches no value page
  if (rc == MDB_NOTFOUND) return fail(Errc::not_found, "block " + id.short_hex());
  if (rc) return lmdb_error(rc, "read block " + id.short_hex());
  *size = v.mv_size;
  if (off >= v.mv_size) return {};
  size_t n = std::min(len, v.mv_size - off);
  auto* at = static_cast<const uint8_t*>(v.mv_data) + off;
  if (env_->fd < 0 || !env_->map.holds(at, n)) {
    std::memcpy(out, at, n);  // no file offset to read at: through the map
    return {};
  }
  // The read transaction keeps these pages from reuse until it ends.
  off_t file_off = off_t(at - env_->map.addr());
  while (n > 0) {
    ssize_t r = ::pread(env_->fd, out, n, file_off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(Errc::io, "read block " + id.short_hex() + ": " + std::strerror(errno));
    if (r == 0) return fail(Errc::corrupt, "block " + id.short_hex() + " ends past the file");
    out += r, n -= size_t(r), file_off += r;
  }
  return {};
}

Result<Bytes> LmdbStore::get(const BlockId& id) {
  Bytes out;
  PS_TRY(view(id, [&](ByteView b) {
    out.assign(b.begin(), b.end());
    return Status();
  }));
  return out;
}

Result<bool> LmdbStore::contains(const BlockId& id) {
  Status st = view(id, [](ByteView) { return Status(); });
  if (st.code() == Errc::not_found) return false;
  if (!st) return st.error();
  return true;
}

Status LmdbStore::for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) {
  Txn txn;
  int rc = mdb_txn_begin(env_->env, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb_error(rc, "read txn");
  MDB_cursor* cur;
  if ((rc = mdb_cursor_open(txn.t, env_->blocks, &cur))) return lmdb_error(rc, "cursor");
  MDB_val k, v;
  Status st;
  MapBudget::Scope faults(env_->map);  // a scan of every leaf: charged as it goes
  size_t n = 0;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (++n % 64 == 0) faults.checkpoint();
    auto id = Id256::from(bytes_of(k));
    if (!id) {
      st = fail(Errc::corrupt, "store holds a key of " + std::to_string(k.mv_size) + " bytes");
      break;
    }
    if (!fn(*id, v.mv_size)) break;
  }
  mdb_cursor_close(cur);
  return st;
}

Status LmdbStore::for_each_volume(const std::function<bool(const VolumeId&)>& fn) {
  std::vector<VolumeId> vols;  // collected first: fn may call back into the store
  {
    Txn txn;
    int rc = mdb_txn_begin(env_->env, nullptr, MDB_RDONLY, &txn.t);
    if (rc) return lmdb_error(rc, "read txn");
    MDB_cursor* cur;
    if ((rc = mdb_cursor_open(txn.t, heads_, &cur))) return lmdb_error(rc, "cursor");
    MapBudget::Scope faults(env_->map);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      auto id = Id256::from(bytes_of(k));
      if (!id) {
        mdb_cursor_close(cur);
        return fail(Errc::corrupt,
                    "heads database holds a key of " + std::to_string(k.mv_size) + " bytes");
      }
      vols.push_back(*id);
    }
    mdb_cursor_close(cur);
  }
  for (auto& v : vols)
    if (!fn(v)) break;
  return {};
}

Result<std::vector<Bytes>> LmdbStore::heads(const VolumeId& volume) {
  Txn txn;
  int rc = mdb_txn_begin(env_->env, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb_error(rc, "read txn");
  MDB_val k = val(volume.view()), v;
  MapBudget::Scope faults(env_->map);
  rc = mdb_get(txn.t, heads_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::vector<Bytes>{};
  if (rc) return lmdb_error(rc, "read heads");
  return decode_head_list(bytes_of(v));
}

Status LmdbStore::write(const WriteBatch& batch) {
  // Whether it fits is checked first: LMDB reports a disk that fills up during the write as a
  // short write (EIO), and a write must fail cleanly with no_space instead.
  uint64_t need = 8 * kPage;  // branch pages of the copy-on-write path, and the meta page
  for (auto& b : batch.blocks) need += cost_of_block(b.data.size());
  for (auto& [vol, hs] : batch.heads) {
    for (auto& h : hs) need += h.size();
    need += 2 * kPage;
  }
  PS_ASSIGN(StoreSpace room, env_->space(false));
  if (room.free < need) {
    PS_ASSIGN(room, env_->space(true));
    if (room.free < need)
      return fail(Errc::no_space, "store full: " + std::to_string(room.free >> 10) +
                                      " KiB free, a write needs " + std::to_string(need >> 10) +
                                      " KiB");
  }
  Status st = write_txn(batch);
  if (!st && st.code() == Errc::io) {
    // Another process may have filled the disk meanwhile.
    if (auto after = env_->space(true); after && after->free < need)
      return fail(Errc::no_space, st.error().context);
  }
  return st;
}

Status LmdbStore::write_txn(const WriteBatch& batch) {
  Txn txn;
  // A commit that is not durable syncs its data pages but not its meta page: a crash cannot
  // corrupt the store, it only may forget this transaction (the next commit's sync covers it).
  // With a background sync it syncs nothing, under the unsynced marker.
  const bool unsynced = !batch.durable && env_->sync_every_ms > 0;
  std::unique_lock<std::mutex> marker;
  if (unsynced) {
    marker = std::unique_lock(env_->marker_mu);
    PS_TRY(env_->mark_unsynced());
  }
  using lmdb::CommitSync;
  int rc = lmdb::begin_write(env_->env,
                             batch.durable ? CommitSync::full
                             : unsynced    ? CommitSync::none
                                           : CommitSync::data,
                             txn);
  if (rc) return lmdb_error(rc, "write txn");
  // A batch inserts and erases at random places in the B-tree: each may fault in a leaf (and
  // with it a 2 MiB folio). Charged as it goes, not at the end, so one batch cannot map 100 MiB.
  MapBudget::Scope faults(env_->map);
  size_t n = 0;
  for (auto& id : batch.erase) {
    if (++n % 16 == 0) faults.checkpoint();
    MDB_val k = val(id.view());
    rc = mdb_del(txn.t, env_->blocks, &k, nullptr);
    if (rc && rc != MDB_NOTFOUND) return lmdb_error(rc, "erase block " + id.short_hex());
  }
  for (auto& b : batch.blocks) {
    if (++n % 16 == 0) faults.checkpoint();
    if (b.data.size() > kMaxBlockSize) return fail(Errc::too_big, "block " + b.id.short_hex());
    MDB_val k = val(b.id.view()), v = val(b.data);
    rc = mdb_put(txn.t, env_->blocks, &k, &v, MDB_NOOVERWRITE);
    if (rc && rc != MDB_KEYEXIST) return lmdb_error(rc, "write block " + b.id.short_hex());
  }
  for (auto& [vol, hs] : batch.heads) {
    MDB_val k = val(vol.view());
    if (hs.empty()) {
      rc = mdb_del(txn.t, heads_, &k, nullptr);
      if (rc && rc != MDB_NOTFOUND) return lmdb_error(rc, "delete heads");
      continue;
    }
    if (hs.size() > kMaxHeadsPerVolume) return fail(Errc::too_big, "head set");
    Bytes rec = encode_head_list(hs);
    MDB_val v = val(rec);
    if ((rc = mdb_put(txn.t, heads_, &k, &v, 0))) return lmdb_error(rc, "write heads");
  }
  if ((rc = txn.commit())) return lmdb_error(rc, "commit");
  if (unsynced) env_->unsynced = true;
  return {};
}

Status LmdbStore::Env::mark_unsynced() {
  if (marked) return {};
  PS_TRY(unsynced_marker::set(dir, boot_id));
  marked = true;
  return {};
}

void LmdbStore::Env::sync_loop() {
  std::unique_lock lock(sync_mu);
  int idle = 0;  // rounds in a row with nothing to sync
  while (!sync_cv.wait_for(lock, std::chrono::milliseconds(sync_every_ms),
                           [this] { return sync_stop; })) {
    lock.unlock();
    if (unsynced.exchange(false)) {
      idle = 0;
      // fdatasync of the data file rather than mdb_env_sync, which reads the environment's
      // flags that writers set (lmdb::begin_write). Meta pages of unsynced commits went through
      // the same file descriptor, so this covers them too.
      if (::fdatasync(fd) != 0) {
        unsynced = true;  // the next round tries again; the marker stays meanwhile
        log::error("syncing the store in " + dir + ": " + std::strerror(errno));
      } else {
        ++background_syncs;
      }
    } else if (++idle >= 2) {
      // Every unsynced commit so far was followed by a sync, and none can start while the lock
      // is held: the marker may go, and a power cut from now on costs nothing.
      std::lock_guard m(marker_mu);
      if (marked && !unsynced) {
        if (Status st = unsynced_marker::clear(dir); st)
          marked = false;
        else
          log::error(st.error().message());
      }
    }
    lock.lock();
  }
}

void LmdbStore::Env::stop_syncing() {
  if (!syncer.joinable()) return;
  {
    std::lock_guard lock(sync_mu);
    sync_stop = true;
  }
  sync_cv.notify_all();
  syncer.join();
  std::lock_guard m(marker_mu);
  if (!marked) return;
  if (::fdatasync(fd) != 0) {
    log::error("syncing the store in " + dir + " on close: " + std::strerror(errno));
    return;  // the marker stays: a power cut before the page cache is written is detected
  }
  if (Status st = unsynced_marker::clear(dir); !st) log::error(st.error().message());
}

Result<uint64_t> LmdbStore::Env::free_list_pages() {
  // Database 0 is LMDB's free list: transaction id -> array of page numbers, the first
  // element being their count (mdb_stat -f reads it the same way).
  Txn txn;
  int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb_error(rc, "read txn");
  MDB_cursor* cur;
  if ((rc = mdb_cursor_open(txn.t, 0, &cur))) return lmdb_error(rc, "free list cursor");
  uint64_t pages = 0;
  MDB_val k, v;
  MapBudget::Scope faults(map);
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (v.mv_size < sizeof(size_t)) continue;
    size_t n;
    std::memcpy(&n, v.mv_data, sizeof n);
    pages += std::min<uint64_t>(n, v.mv_size / sizeof(size_t) - 1);
  }
  mdb_cursor_close(cur);
  return pages;
}

Result<StoreSpace> LmdbStore::Env::space(bool exact) {
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) != 0)
    return fail(Errc::io, "cannot measure free space of " + dir + ": " + std::strerror(errno));
  MDB_envinfo info;
  MDB_stat st;
  int rc = mdb_env_info(env, &info);
  if (!rc) rc = mdb_env_stat(env, &st);
  if (rc) return lmdb_error(rc, "store info");
  uint64_t psize = st.ms_psize;
  uint64_t high = (uint64_t(info.me_last_pgno) + 1) * psize;  // the pages in use or freed
  // The file past `high` counts as free: LMDB writes there next. A write transaction in
  // progress has already put its pages there; counting them as free keeps the answer what it
  // was before that transaction, as its blocks still count as unstored for the file system
  // (without this, a look in the middle of a batch counted the batch twice, and refused names
  // on a disk with room for them).
  struct stat fst;
  uint64_t file = ::stat((dir + "/data.mdb").c_str(), &fst) == 0 ? uint64_t(fst.st_size) : high;
  uint64_t reusable = file > high ? file - high : 0;
  uint64_t freed = 0;
  if (exact) {
    PS_ASSIGN(uint64_t pages, free_list_pages());
    freed = std::min(high, pages * psize);
  }
  StoreSpace s;
  s.free = uint64_t(vfs.f_bavail) * vfs.f_frsize + reusable + freed;
  s.total = uint64_t(vfs.f_blocks) * vfs.f_frsize;
  if (uint64_t cap = capacity.load()) {
    uint64_t used = high - freed;
    s.total = cap;
    s.free = std::min(s.free, cap > used ? cap - used : 0);
  }
  return s;
}

Result<StoreSpace> LmdbStore::space() {
  PS_ASSIGN(StoreSpace s, env_->space(false));
  // The free list matters only when space runs low (or a capacity is near).
  if (s.free < (uint64_t(1) << 30) || env_->capacity.load()) return env_->space(true);
  return s;
}

void LmdbStore::set_capacity(uint64_t bytes) {
  env_->capacity = bytes;
}

uint64_t LmdbStore::background_syncs() const {
  return env_->background_syncs.load();
}

bool LmdbStore::marked_unsynced() const {
  std::lock_guard m(env_->marker_mu);
  return env_->marked;
}

Result<StoreStats> LmdbStore::stats() {
  StoreStats s;
  PS_TRY(for_each_id([&](const BlockId&, size_t n) {
    ++s.blocks;
    s.block_bytes += n;
    return true;
  }));
  return s;
}

}  // namespace peerstore
