#include "client/backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>  // FUSE_SET_ATTR_*
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "client/tree_path.h"
#include "client/xattr_copy.h"
#include "fs/chunk_tree.h"

namespace peerstore::client {
namespace {

constexpr size_t kReadSize = 1 << 20;  // source reads; compared with the copy a chunk at a time

std::string errno_text(const std::string& what, int e) {
  return what + ": " + std::strerror(e);
}

// The names in a local directory, sorted; errno on failure.
int local_names(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return errno;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") out->emplace_back(n);
  }
  int e = errno;
  ::closedir(d);
  std::sort(out->begin(), out->end());
  return e;
}

class Backup {
 public:
  Backup(FileSystem& fs, BackupIndex& index, const BackupOptions& o)
      : fs_(fs), index_(index), o_(o) {}

  Result<BackupResult> run();

 private:
  bool stopping() const { return o_.stop && o_.stop->load(); }
  bool excluded(const std::string& path) const {
    return std::find(o_.exclude.begin(), o_.exclude.end(), path) != o_.exclude.end();
  }
  void problem(const std::string& line) {
    ++r_.problems;
    if (o_.problem) o_.problem(line);
  }
  void count(uint64_t files, uint64_t bytes) {
    p_.files_done += files;
    p_.bytes_done += bytes;
    if (o_.progress) o_.progress(p_);
  }
  void scan(const std::string& dir);
  Status directory(const std::string& src, uint64_t tdir);
  Status entry(const std::string& src, uint64_t tdir, const std::string& name,
               const struct stat& st, const struct stat* existing);
  Status file(const std::string& src, uint64_t tdir, const std::string& name, const struct stat& st,
              const struct stat* existing);
  Status copy_content(int fd, uint64_t ino, uint64_t old_size);
  Status metadata(uint64_t ino, const std::string& src, const struct stat& st);
  // The copy of `name` if it exists and `keep` says it is of the right kind; else it is removed
  // (a whole subtree) and nullptr returned.
  Result<const struct stat*> reuse(uint64_t tdir, const std::string& name,
                                   const struct stat* existing, bool keep);

  FileSystem& fs_;
  BackupIndex& index_;
  BackupIndex before_;
  const BackupOptions& o_;
  BackupResult r_;
  BackupProgress p_;
  dev_t device_ = 0;
  // Files with several names: the first copy stored, by source (device, inode).
  std::map<std::pair<dev_t, ino_t>, uint64_t> linked_;
};

void Backup::scan(const std::string& dir) {
  std::vector<std::string> names;
  if (local_names(dir, &names) != 0) return;
  for (auto& n : names) {
    std::string path = dir + "/" + n;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || excluded(path)) continue;
    if (S_ISREG(st.st_mode)) {
      ++p_.files_total;
      p_.bytes_total += uint64_t(st.st_size);
    } else if (S_ISDIR(st.st_mode) && st.st_dev == device_) {
      scan(path);
    }
  }
}

Result<BackupResult> Backup::run() {
  struct stat st {};
  if (::stat(o_.source.c_str(), &st) != 0)
    return fail(errno == ENOENT ? Errc::not_found : Errc::io,
                errno_text("cannot back up " + o_.source, errno));
  if (!S_ISDIR(st.st_mode))
    return fail(Errc::invalid, o_.source + " is not a directory; give the directory to back up");
  device_ = st.st_dev;
  scan(o_.source);
  if (o_.progress) o_.progress(p_);
  PS_ASSIGN(uint64_t root, make_dirs(fs_, o_.caller, o_.tree_dir));
  // What the last run knew is in before_; the index is rebuilt with what this run finds.
  before_ = index_;
  index_.forget_under(o_.source);
  PS_TRY(directory(o_.source, root));
  PS_TRY(metadata(root, o_.source, st));
  ++r_.dirs;
  r_.stopped = stopping();
  return r_;
}

Result<const struct stat*> Backup::reuse(uint64_t tdir, const std::string& name,
                                         const struct stat* existing, bool keep) {
  if (!existing || keep) return existing;
  PS_TRY(remove_tree(fs_, tdir, name));
  return nullptr;
}

Status Backup::directory(const std::string& src, uint64_t tdir) {
  std::vector<std::string> names;
  if (int e = local_names(src, &names); e != 0) {
    problem(errno_text("cannot list " + src, e));
    return {};  // its copy keeps what it had
  }
  PS_ASSIGN(auto copies, list_dir(fs_, tdir));
  std::map<std::string, struct stat> existing;
  for (auto& c : copies) existing[c.name] = c.st;
  // Gone from the source (or not stored any more): gone from the copy.
  std::set<std::string> wanted(names.begin(), names.end());
  for (auto& [name, st] : existing)
    if (!wanted.count(name) || excluded(src + "/" + name)) {
      PS_TRY(remove_tree(fs_, tdir, name));
      ++r_.removed;
    }
  for (auto& name : names) {
    if (stopping()) return {};
    std::string path = src + "/" + name;
    if (excluded(path)) continue;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) problem(errno_text("cannot read " + path, errno));
      continue;  // ENOENT: deleted while we ran
    }
    auto it = existing.find(name);
    PS_TRY(entry(path, tdir, name, st, it == existing.end() ? nullptr : &it->second));
  }
  return {};
}

Status Backup::entry(const std::string& src, uint64_t tdir, const std::string& name,
                     const struct stat& st, const struct stat* existing) {
  mode_t type = st.st_mode & S_IFMT;
  auto same_type = [&] { return existing && (existing->st_mode & S_IFMT) == type; };
  EntryOut e;
  switch (type) {
    case S_IFREG:
      return file(src, tdir, name, st, existing);
    case S_IFDIR: {
      PS_ASSIGN(existing, reuse(tdir, name, existing, same_type()));
      if (existing) {
        e.ino = existing->st_ino;
      } else if (int r = fs_.mkdir(o_.caller, tdir, name, 0700, &e); r != 0) {
        return fs_error(r, src);
      }
      ++r_.dirs;
      // Another file system mounted here (a PeerStore mount, say): an empty directory.
      if (st.st_dev == device_) PS_TRY(directory(src, e.ino));
      return metadata(e.ino, src, st);
    }
    case S_IFLNK: {
      std::string target(std::max<size_t>(size_t(st.st_size), 4096) + 1, '\0');
      ssize_t n = ::readlink(src.c_str(), target.data(), target.size());
      if (n < 0 || size_t(n) >= target.size()) {
        problem(errno_text("cannot read the link " + src, n < 0 ? errno : EOVERFLOW));
        return {};
      }
      target.resize(size_t(n));
      std::string old;
      bool keep = same_type() && fs_.readlink(existing->st_ino, &old) == 0 && old == target;
      PS_ASSIGN(existing, reuse(tdir, name, existing, keep));
      if (existing) {
        e.ino = existing->st_ino;
      } else if (int r = fs_.symlink(o_.caller, target, tdir, name, &e); r != 0) {
        return fs_error(r, src);
      }
      ++r_.symlinks;
      count(0, 0);
      return metadata(e.ino, src, st);
    }
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK: {
      bool keep = same_type() && existing->st_rdev == st.st_rdev;
      PS_ASSIGN(existing, reuse(tdir, name, existing, keep));
      if (existing) {
        e.ino = existing->st_ino;
      } else if (int r = fs_.mknod(o_.caller, tdir, name, st.st_mode, st.st_rdev, &e); r != 0) {
        return fs_error(r, src);
      }
      ++r_.specials;
      return metadata(e.ino, src, st);
    }
    default:  // a socket: it means nothing without its process
      PS_TRY(reuse(tdir, name, existing, false));
      return {};
  }
}

Status Backup::file(const std::string& src, uint64_t tdir, const std::string& name,
                    const struct stat& st, const struct stat* existing) {
  auto link_key = std::make_pair(st.st_dev, st.st_ino);
  if (st.st_nlink > 1) {
    auto it = linked_.find(link_key);
    if (it != linked_.end()) {  // another name of a file stored in this run
      bool same = existing && existing->st_ino == it->second;
      PS_ASSIGN(existing, reuse(tdir, name, existing, same));
      EntryOut e;
      if (!existing)
        if (int r = fs_.link(it->second, tdir, name, &e); r != 0) return fs_error(r, src);
      ++r_.hard_links;
      count(1, uint64_t(st.st_size));
      return {};
    }
  }
  bool regular = existing && S_ISREG(existing->st_mode);
  SourceStamp stamp = stamp_of(st);
  if (regular && existing->st_size == st.st_size) {
    const SourceStamp* known = before_.find(src);
    if (known && *known == stamp) {
      ++r_.unchanged;
      index_.set(src, stamp);
      if (st.st_nlink > 1) linked_[link_key] = existing->st_ino;
      count(1, uint64_t(st.st_size));
      return {};
    }
  }
  int fd = ::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    problem(errno_text("cannot read " + src, errno));
    count(1, uint64_t(st.st_size));
    return {};
  }
  // A copy that is one of several names in the tree is written through only if the source has
  // several names too; otherwise it is replaced: the other names are other source files.
  PS_ASSIGN(existing,
            reuse(tdir, name, existing, regular && (existing->st_nlink == 1 || st.st_nlink > 1)));
  EntryOut e;
  uint64_t old_size = 0;
  if (existing) {
    e.ino = existing->st_ino;
    old_size = uint64_t(existing->st_size);
    if (int r = fs_.open(e.ino, O_RDWR); r != 0) {
      ::close(fd);
      return fs_error(r, src);
    }
  } else if (int r = fs_.create(o_.caller, tdir, name, 0600, O_RDWR, &e); r != 0) {
    ::close(fd);
    return fs_error(r, src);
  }
  Status copied = copy_content(fd, e.ino, old_size);
  ::close(fd);
  int closed = fs_.flush(e.ino);
  fs_.release(e.ino);
  if (!copied) {
    if (copied.code() != Errc::io) return copied;  // the tree refused: stop
    problem(copied.error().context);
    count(1, uint64_t(st.st_size));
    return {};
  }
  if (closed != 0) return fs_error(closed, src);
  ++r_.files;
  if (st.st_nlink > 1) linked_[link_key] = e.ino;
  PS_TRY(metadata(e.ino, src, st));
  index_.set(src, stamp);
  count(1, uint64_t(st.st_size));
  return {};
}

// Reads the source to its end and writes each chunk that differs from the copy's bytes there;
// then cuts the copy to the source's length. Source errors are Errc::io (a problem for this
// file); the tree's are the tree's.
Status Backup::copy_content(int fd, uint64_t ino, uint64_t old_size) {
  constexpr size_t kChunk = ChunkTree::kChunkSize;
  Bytes buf(kReadSize), copy;
  uint64_t off = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, errno_text("cannot read a source file", errno));
    if (n == 0) break;
    r_.bytes_read += uint64_t(n);
    for (size_t at = 0; at < size_t(n); at += kChunk) {
      size_t len = std::min(kChunk, size_t(n) - at);
      ByteView piece(buf.data() + at, len);
      uint64_t pos = off + at;
      if (pos < old_size) {
        if (int r = fs_.read(ino, pos, len, &copy); r != 0) return fs_error(r, "reading the copy");
        if (copy.size() == len && std::equal(copy.begin(), copy.end(), piece.begin())) continue;
      }
      ssize_t w = fs_.write(ino, pos, piece);
      if (w < 0) return fs_error(int(-w), "writing the copy");
      r_.bytes_written += len;
    }
    off += uint64_t(n);
  }
  if (off != old_size) {
    struct stat in {};
    in.st_size = off_t(off);
    struct stat out {};
    if (int r = fs_.setattr(ino, in, FUSE_SET_ATTR_SIZE, &out); r != 0)
      return fs_error(r, "setting the copy's size");
  }
  return {};
}

Status Backup::metadata(uint64_t ino, const std::string& src, const struct stat& st) {
  struct stat in = st, cur{};
  if (int r = fs_.getattr(ino, &cur); r != 0) return fs_error(r, src);
  // Unchanged attributes are not set again: a run that changes nothing commits nothing.
  bool same = cur.st_uid == st.st_uid && cur.st_gid == st.st_gid &&
              cur.st_mtim.tv_sec == st.st_mtim.tv_sec &&
              cur.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
              (S_ISLNK(st.st_mode) || (cur.st_mode & 07777) == (st.st_mode & 07777));
  int to_set = FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME;
  if (!S_ISLNK(st.st_mode)) to_set |= FUSE_SET_ATTR_MODE;
  if (!same)
    if (int r = fs_.setattr(ino, in, to_set, &cur); r != 0) return fs_error(r, src);
  std::string why;
  if (!copy_xattrs_to_tree(src, fs_, ino, &why)) problem(why);
  return {};
}

}  // namespace

Result<BackupResult> backup(FileSystem& fs, BackupIndex& index, const BackupOptions& options) {
  return Backup(fs, index, options).run();
}

}  // namespace peerstore::client
