// FileSystem: POSIX semantics over one volume: lookups with kernel reference counts, the
// namespace (create, link, rename, unlink), attributes, xattrs, file content, and commits.
// Operations take inode numbers as the FUSE low-level API does and return 0 or an errno: POSIX
// errors are this layer's vocabulary, and to_errno() is the one place lower-layer Errc values
// become errnos. Thread-safe: one mutex guards the tree; sealing and opening file chunks run
// outside it, so reads and writes of different files proceed in parallel.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "fs/chunk_sealer.h"
#include "fs/conflict_log.h"
#include "fs/directory.h"
#include "fs/health_source.h"
#include "fs/node_table.h"
#include "fs/space_budget.h"
#include "fs/volume.h"

namespace peerstore {

// Who is asking: from the FUSE request context.
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct EntryOut {
  uint64_t ino = 0;
  struct stat attr {};
  bool link = false;  // a volume link: MountTree shows the linked volume's root in its place
};

class FileSystem {
 public:
  static constexpr size_t kInlineMax = InodeRecord::kInlineMax;
  static constexpr uint64_t kMaxFileSize = uint64_t(1) << 50;
  static constexpr size_t kMaxXattrValue = 64 << 10;
  static constexpr size_t kMaxXattrTotal = 256 << 10;
  static constexpr size_t kDirtyChunkLimit = 1024;  // 64 MiB of unsealed chunks
  // The memory of dirty chunks (buffers and patches) that triggers a commit; writers wait past
  // twice this while a commit seals. 128 MiB rather than 64: fio's 4 KiB random writes over
  // 256 MiB did 15-40 % more IOPS, for 35 MiB more peak RSS (docs/performance.md).
  static constexpr uint64_t kDirtyBytesLimit = uint64_t(128) << 20;
  // A commit finding this many dirty chunks seals them on the sealer threads first, outside
  // the tree lock (preseal).
  static constexpr size_t kPresealAt = 32;
  static constexpr int kPresealRounds = 4;  // at most, each for what the one before left
  // What the file system keeps free in a store of `total` bytes once file data no longer fits:
  // the metadata reserve (SpaceBudget::reserve_for) and one write batch of slack.
  static uint64_t space_reserve(uint64_t total);

  struct Options {
    std::string statfs_path;  // the file system whose capacity statfs reports
    int commit_interval_ms = 1000;
    // A change that users expect other computers to see soon (a written file closed, rename,
    // unlink, mkdir...) is committed within this long; a burst of them makes one commit.
    int commit_debounce_ms = 100;
    // How often live sync asks for the volume's heads when no replica pushed news of one.
    int sync_poll_ms = 500;
    // How long the store's free space, once asked, is trusted while the margin lasts.
    int space_probe_ms = 1000;
    // Where the peerstore.* attributes come from (must outlive the file system); none: they
    // are absent (ENODATA).
    HealthSource* health = nullptr;
    // Claim before adopting (docs/lifecycle.md, Ring collection): live sync calls it with no
    // lock of the file system held, for each head of another computer it is about to
    // fast-forward to or merge with, and takes the head only once it returned ok (a failure is
    // retried next round). Null: nothing to claim (a volume this computer does not write).
    std::function<Status(Volume& volume, const Head& head)> before_adopt;
  };

  // What the kernel must forget after live sync changed the tree: attributes and cached pages
  // of inodes, and names in directories.
  struct Invalidation {
    std::vector<uint64_t> inodes;
    std::vector<std::pair<uint64_t, std::string>> entries;  // (directory, name)
    // Files that grew, with their new last byte: the kernel keeps its own size for a file it
    // has open (writeback cache), and storing the last byte is how it learns the new one.
    struct Grown {
      uint64_t ino;
      uint64_t size;
      uint8_t last;
    };
    std::vector<Grown> grown;
  };
  using Notifier = std::function<void(const Invalidation&)>;
  using ConflictSink = std::function<void(const ConflictRecord&)>;
  struct SyncStats {
    uint64_t rounds = 0, fast_forwards = 0, merges = 0, conflicts = 0, failures = 0;
  };

  // Opens the volume's tree, creating the root directory for a new volume.
  static Result<std::unique_ptr<FileSystem>> open(std::unique_ptr<Volume> volume, Options opts,
                                                  Caller owner);
  ~FileSystem();  // stops the committer; call commit() first to keep changes

  // Starts the background committer (about every commit_interval_ms).
  void start_committer();
  // Commits everything changed so far, durably. Returns 0 or an errno.
  int commit();
  // Asks the committer for a commit within the debounce.
  void commit_soon();

  // Live sync. The notifier is called from the sync thread with no lock held, never inside a
  // request handler; set it before start_sync and clear it (nullptr) before whatever it calls
  // goes away.
  void set_notifier(Notifier n);
  // Where sync reports each conflict copy it made (it also logs it); called like the notifier.
  void set_conflict_sink(ConflictSink sink);
  // Told the time (ns since the epoch) of each removal of a regular file's last name and each
  // truncation of a file to a smaller size made here (not those sync brings), and where: a
  // number for the name (directory and name) or the truncated file, so that one file saved
  // over and over is one place. What the brake on mass deletion counts
  // (host/mass_delete_watch.h). Called under the tree lock: it must be quick and must not call
  // into the file system. Clear it before what it calls goes away.
  using RemovalSink = std::function<void(int64_t time_ns, uint64_t where)>;
  void set_removal_sink(RemovalSink sink);
  // One round: commits local changes, reads the volume's heads (this computer's and the
  // network's), fast-forwards to a descendant or merges concurrent ones, and notifies the
  // kernel of what changed. Returns 0 or an errno.
  int sync();
  // Runs sync() every sync_poll_ms, and soon after wake_sync() (a pushed head).
  void start_sync();
  void wake_sync();
  SyncStats sync_stats() const;
  // The committed state (tests compare computers by it). Stable only between commits.
  const Volume& volume() const { return *volume_; }

  int lookup(uint64_t parent, std::string_view name, EntryOut* out);
  void forget(uint64_t ino, uint64_t nlookup);
  int getattr(uint64_t ino, struct stat* out);
  // `to_set` uses FUSE_SET_ATTR_* bits.
  int setattr(uint64_t ino, const struct stat& in, int to_set, struct stat* out);
  int readlink(uint64_t ino, std::string* out);
  int mknod(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, dev_t rdev,
            EntryOut* out);
  int mkdir(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, EntryOut* out);
  int symlink(const Caller& c, std::string_view target, uint64_t parent, std::string_view name,
              EntryOut* out);
  int link(uint64_t ino, uint64_t newparent, std::string_view newname, EntryOut* out);
  int unlink(uint64_t parent, std::string_view name);
  int rmdir(uint64_t parent, std::string_view name);
  int rename(uint64_t parent, std::string_view name, uint64_t newparent, std::string_view newname,
             unsigned flags);

  int open(uint64_t ino, int flags);
  int create(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, int flags,
             EntryOut* out);
  int release(uint64_t ino);
  // The records of the files that are open but have no name left: gone from every version,
  // still read and written through their handles. The collector keeps their content
  // (docs/lifecycle.md, Local collection: roots).
  std::vector<InodeRecord> open_unlinked();
  // A close() of the file: the last commit's error if it failed while this file has writes no
  // commit has stored yet (the program learns that its data is not safe), else 0.
  int flush(uint64_t ino);
  // Reads up to `size` bytes at `off` into `out` (resized to what was read).
  int read(uint64_t ino, uint64_t off, size_t size, Bytes* out);
  // Returns bytes written (>= 0) or -errno.
  ssize_t write(uint64_t ino, uint64_t off, ByteView data);
  int fallocate(uint64_t ino, int mode, uint64_t off, uint64_t len);

  int opendir(uint64_t ino);
  // Calls `emit(name, attr, next_cookie)` from `cookie` on; stops when emit returns false
  // (the entry did not fit). With `plus`, attr is complete and each entry other than "." and
  // ".." that emit accepts counts as a lookup (FUSE readdirplus).
  using DirEmit = std::function<bool(std::string_view name, const struct stat& st, uint64_t next)>;
  int readdir(uint64_t ino, uint64_t cookie, bool plus, const DirEmit& emit);
  // The same, saying of each entry whether it is a volume link (with `plus` only; false
  // without, where the entry's inode is not read).
  using DirEmitLinks =
      std::function<bool(std::string_view name, const struct stat& st, uint64_t next, bool link)>;
  int readdir_links(uint64_t ino, uint64_t cookie, bool plus, const DirEmitLinks& emit);

  // Volume links (file_system_links.cc; docs/sharing.md, "Mount: several volumes in one
  // tree"). A link is a directory entry that stands for another volume's root; `link` is what
  // opens that volume (an encoded GrantContent, kept in this volume's encrypted tree). The
  // link itself holds no entries: creating anything in it here fails with ENOTDIR, and
  // rmdir removes it like an empty directory.
  int make_link(const Caller& c, uint64_t parent, std::string_view name, const Secret& link,
                EntryOut* out);
  // The link's bytes; EINVAL if `ino` is no link.
  int link_of(uint64_t ino, std::shared_ptr<const Secret>* out);
  // Makes the directory `dir` a volume of its own (sharing a folder): its committed inode
  // records become the tree of `into`, a new, empty volume's file system (the directory its
  // root; no content is copied or re-encrypted: the records keep their block pointers), then
  // its name here becomes a link (to `into`'s volume; a new inode, *link_ino) and its
  // inodes leave this volume. Both volumes are committed. EINVAL for the root, ENOTDIR for no
  // directory, EEXIST for a link or a folder with a link inside, EBUSY while a file below it is
  // open, EXDEV when a hard link leads out of it; nothing changes then.
  // `make_link` gets the folder's name and returns the link's bytes.
  using LinkMaker = std::function<Result<Secret>(std::string_view folder)>;
  int split_into(uint64_t dir, FileSystem& into, const LinkMaker& make_link, uint64_t* link_ino);
  // A revoke's rotation (docs/sharing.md, Revoke): the link `old_link` gives its name to a new
  // link inode numbered `new_ino` that opens `link` (the volume's next epoch), with the old
  // one's mode, owner, times and attributes; commits. The kernel, told from the sync thread,
  // looks the name up again. Done already (`new_ino` is a link): 0. EINVAL when `old_link` is
  // no link, EEXIST when `new_ino` is taken by something else.
  int relink(uint64_t old_link, const Secret& link, uint64_t new_ino);
  // Received shares (file_system_shares.cc): puts the link `link` (to the volume whose id is
  // `volume`, with the record's hidden `xattrs`) at `path` below the root, making the
  // directories on the way (0755, `owner`'s) where missing. Every inode made gets a number
  // derived from its path (a link's from its volume too), so two computers of the user that
  // place the same share make the same inodes. A link to another volume at `path` is replaced;
  // EEXIST when something else holds a name on the way. The kernel hears of new names from the
  // sync thread.
  int place_link(const Caller& owner, const std::vector<std::string>& path, const Secret& link,
                 ByteView volume, const std::map<std::string, Bytes>& xattrs, int64_t time_ns);
  // Removes the link at `path`, and its directory if that is left empty (never the top one).
  int remove_link(const std::vector<std::string>& path);
  // The links two levels below `top` (TOP/OWNER/FOLDER): what place_link made.
  struct FoundLink {
    std::vector<std::string> path;
    std::shared_ptr<const Secret> link;
    std::map<std::string, Bytes> xattrs;
  };
  int links_below(const std::vector<std::string>& top, std::vector<FoundLink>* out);
  // The file system's own records in an inode's extended attributes: names under the
  // reserved "peerstore." prefix, never listed nor shown to programs, merged by live sync per
  // name like any attribute (the grants a user made, on the root). EINVAL for another name.
  int set_hidden(uint64_t ino, const std::string& name, const Bytes& value);
  int hidden(uint64_t ino, std::string_view prefix, std::map<std::string, Bytes>* out);
  // Removes one (0 when it was not there).
  int remove_hidden(uint64_t ino, const std::string& name);
  // "/a/b" for a directory (or a link), "/" for the root; ENOENT once it is removed.
  int path_of_dir(uint64_t dir, std::string* out);
  // Into a new, empty volume: `recs` (inode records, one of them `top`) become its tree, `top`
  // its root. Commits. EEXIST if the volume is not new and empty.
  int adopt_tree(std::vector<InodeRecord> recs, uint64_t top);
  int statfs(struct statvfs* out);

  int setxattr(uint64_t ino, std::string_view name, ByteView value, int flags);
  // size 0 asks for the size: returns it in *out_size. Fills *out otherwise. The virtual
  // attributes peerstore.replicas, peerstore.pending and peerstore.conflicts (docs/health.md)
  // are answered here and never listed, set or removed: the "peerstore." prefix is reserved.
  int getxattr(uint64_t ino, std::string_view name, size_t size, Bytes* out, size_t* out_size);
  int listxattr(uint64_t ino, size_t size, Bytes* out, size_t* out_size);
  int removexattr(uint64_t ino, std::string_view name);

 private:
  FileSystem(std::unique_ptr<Volume> volume, Options opts);

  static timespec now();  // for inode times
  // All private helpers expect mu_ held.
  Result<Node*> node(uint64_t ino);
  Result<Node*> dir_node(uint64_t ino);  // Errc::invalid -> ENOTDIR
  void fill_attr(const Node& n, struct stat* st) const;
  int entry_reply(Node& n, EntryOut* out);
  int new_node(const Caller& c, Node& parent, std::string_view name, mode_t mode, dev_t rdev,
               std::string_view symlink_target, Node** out);
  int remove_entry(Node& parent, std::string_view name, bool want_dir);
  Status drop_link(Node& n);
  // Under mu_: sets a file's size (truncate or extend) as of `t`; 0 or an errno.
  int resize_locked(Node& n, uint64_t size, const timespec& t);
  // Under mu_: tells the removal sink (set_removal_sink).
  void removed(const timespec& t, uint64_t where);
  Result<bool> is_ancestor(uint64_t maybe_ancestor, uint64_t ino);
  Status ensure_chunks(Node& n);
  Status truncate(Node& n, uint64_t size);
  Status zero_range(Node& n, uint64_t off, uint64_t len);
  Result<std::shared_ptr<Bytes>> chunk_buffer(Node& n, uint64_t idx, size_t keep_from,
                                              size_t keep_to);
  // Under mu_: writes `data` at `lo` of chunk `idx` as a patch over its sealed block.
  Status patch_chunk(Node& n, uint64_t idx, size_t lo, ByteView data);
  Status flush_content(Node& n);
  // The peerstore.* attributes (file_system_health.cc). Take mu_ themselves.
  static bool is_health_xattr(std::string_view name);
  static constexpr size_t kMaxHealthValue = 20;  // digits of the largest uint64_t
  // Fills *value, or with value null only checks that the attribute exists.
  int health_xattr(uint64_t ino, std::string_view name, std::string* value);
  // Every block reading `ino` and what is under it needs in the committed version: the head,
  // the root block, the inode table, and the content of each inode at or below it.
  Status blocks_under(uint64_t ino, std::vector<BlockId>* ids);
  // The conflict copies of files at or below `ino` that still exist.
  Result<uint64_t> conflicts_under(uint64_t ino);
  // Under mu_: whether a path of the tree names something.
  Result<bool> path_exists(std::string_view path);
  // What to do once a chunk's buffer (or, with `patch`, the patched chunk) is sealed: install
  // the block if the slot still holds what was sealed.
  ChunkSealer::Done on_sealed(uint64_t ino, uint64_t idx, std::shared_ptr<Bytes> buf,
                              std::shared_ptr<ChunkPatch> patch);
  // Seals a chunk's buffer (or, with `patch`, the patched chunk) on a sealer thread, and
  // installs it (on_sealed). Call without mu_.
  void seal_async(uint64_t ino, uint64_t idx, std::shared_ptr<Bytes> buf,
                  std::shared_ptr<ChunkPatch> patch, std::optional<BlockPtr> old, size_t len);
  // `version`: the buffer or patch sealed; the slot keeps its own if it changed since.
  void install_sealed(uint64_t ino, uint64_t idx, const void* version,
                      const Result<BlockPtr>& sealed);
  // A commit's first step, with no lock held: with kPresealAt dirty chunks or more, seals them
  // all on the sealer threads and waits, so the tree lock is held only for what changed since.
  // Whether it sealed any.
  bool preseal();
  void committer_loop();
  void syncer_loop(int poll_ms);
  int commit_locked();  // commit() under commit_serial_
  // Under commit_serial_ and mu_: seals and commits what changed, holding the tree lock.
  Status commit_under_lock();
  // Sends what pending_ holds to the notifier (from the sync thread, with no lock held).
  void send_pending_notices();
  // Seals the tree under mu_; the root to commit, or an errno.
  Result<std::optional<BlockPtr>> seal_locked();
  // Under mu_: moves the tree to the volume's current table and lists what changed since `old`.
  Result<Invalidation> switch_tree(const std::optional<BlockPtr>& old);
  // Under mu_: "/a/b" for a directory, "" for the root (for messages).
  Result<std::string> path_of(uint64_t dir);
  // Under mu_: the name of inode `ino` in the directory `dir` (ENOENT: none there).
  int name_in(Node& dir, uint64_t ino, std::string* name, const char* op);
  int err(const Error& e, const char* op) const;
  // Under mu_: what was accepted and is not stored yet (dirty chunks, queued blocks), in store
  // bytes (LocalStore::cost_of_block).
  uint64_t unstored() const;
  // The space budget's look: the store's room, and the dirty chunks and queued blocks it will
  // have to take. Under mu_.
  Result<SpaceBudget::Look> look_at_store(bool settled);
  // Under mu_: whether `bytes` more of file data (or, with `metadata`, a metadata change) fit
  // in the store (SpaceBudget); the first refusal of a run of them is logged.
  bool room_for(uint64_t bytes, bool metadata = false);

  std::unique_ptr<Volume> volume_;
  Options opts_;
  std::mutex mu_;
  NodeTable table_;
  size_t dirty_chunks_ = 0;
  uint64_t dirty_bytes_ = 0;               // memory of the dirty chunks' buffers and patches
  std::condition_variable dirty_drained_;  // dirty_bytes_ fell to the limit (with mu_)
  // Store cost of chunks a sealer has queued in BlockIo and not yet installed (still dirty).
  std::atomic<uint64_t> sealed_not_installed_{0};
  bool changed_ = false;
  int commit_errno_ = 0;  // the last commit's failure; writes past the dirty limit fail with it
  SpaceBudget space_;
  bool refusing_[2] = {false, false};  // the last room_for() for data, metadata said no
  uint64_t write_seq_ = 0;      // counts writes; Node::last_write is the count at its last one
  uint64_t committed_seq_ = 0;  // every write up to this one is committed

  std::mutex commit_serial_;  // one commit at a time; taken before mu_
  std::mutex commit_mu_;      // guards the committer's wake-up state
  std::condition_variable wake_;
  bool stop_ = false;
  bool commit_requested_ = false;
  std::optional<std::chrono::steady_clock::time_point> commit_due_;
  bool sync_requested_ = false;
  std::condition_variable sync_wake_;
  std::thread committer_;
  std::thread syncer_;
  std::mutex notify_mu_;  // guards notifier_ and conflict_sink_; held while they run
  Notifier notifier_;
  ConflictSink conflict_sink_;
  RemovalSink removal_sink_;  // under mu_
  // What a request changed that the kernel must be told (split_into). Its own lock, taken
  // under mu_ and never held while calling out: the notifier waits for the kernel, which may
  // wait for a request that waits for mu_, so a thread holding mu_ must never wait for
  // notify_mu_ (a mount hung that way while a share moved to a new name).
  std::mutex pending_mu_;
  Invalidation pending_;
  mutable std::mutex stats_mu_;
  SyncStats sync_stats_;
  bool warned_sync_ = false;
  std::set<Id256> refused_;  // heads that lied about their history; under commit_serial_
  // Last: destroyed first, while the tree its callbacks update still exists.
  std::unique_ptr<ChunkSealer> sealer_;
};

int to_errno(Errc code);
// The other way, for the callers of the file system's operations (EIO and the rest: io).
Errc errc_of_errno(int err);

}  // namespace peerstore
