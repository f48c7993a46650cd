#include "client/restore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "client/tree_path.h"
#include "client/xattr_copy.h"

namespace peerstore::client {
namespace {

constexpr size_t kReadSize = 1 << 20;

Error local_error(const std::string& what, int e) {
  return fail(errc_of_errno(e), what + ": " + std::strerror(e));
}

// Copies the content of tree file `ino` into the open local file `fd`; the bytes copied.
Result<uint64_t> copy_out(FileSystem& fs, uint64_t ino, int fd, const std::string& what) {
  if (int r = fs.open(ino, O_RDONLY); r != 0) return fs_error(r, what);
  Bytes buf;
  uint64_t off = 0;
  Status st;
  for (;;) {
    if (int r = fs.read(ino, off, kReadSize, &buf); r != 0) {
      st = fs_error(r, "cannot read " + what + " from the tree");
      break;
    }
    if (buf.empty()) break;
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        st = local_error("cannot write " + what, errno);
        break;
      }
      done += size_t(n);
    }
    if (!st) break;
    off += buf.size();
  }
  fs.release(ino);
  if (!st) return st.error();
  return off;
}

// Owner (where allowed), mode and times of a restored entry; `fd` if open, else by path.
void set_attrs(const std::string& path, int fd, const struct stat& st) {
  bool link = S_ISLNK(st.st_mode);
  // Owners other than ourselves need privilege; without it the restored files are ours.
  if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) {
    if (fd >= 0)
      (void)!::fchown(fd, st.st_uid, st.st_gid);
    else
      (void)!::lchown(path.c_str(), st.st_uid, st.st_gid);
  }
  if (!link) {
    if (fd >= 0)
      ::fchmod(fd, st.st_mode & 07777);
    else
      ::chmod(path.c_str(), st.st_mode & 07777);
  }
  timespec times[2] = {st.st_atim, st.st_mtim};
  if (fd >= 0)
    ::futimens(fd, times);
  else
    ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

class Restore {
 public:
  Restore(FileSystem& fs, const RestoreOptions& o) : fs_(fs), o_(o) {}
  Result<RestoreResult> run();

 private:
  bool stopping() const { return o_.stop && o_.stop->load(); }
  void problem(const std::string& line) {
    ++r_.problems;
    if (o_.problem) o_.problem(line);
  }
  Status directory(uint64_t ino, const std::string& dest);
  Status entry(const TreeEntry& e, const std::string& dest);
  Status file(const TreeEntry& e, const std::string& dest);

  FileSystem& fs_;
  const RestoreOptions& o_;
  RestoreResult r_;
  std::map<uint64_t, std::string> linked_;  // tree inode of a file with several names -> path
};

Result<RestoreResult> Restore::run() {
  PS_ASSIGN(uint64_t ino, resolve(fs_, o_.tree_path));
  struct stat st {};
  if (int r = fs_.getattr(ino, &st); r != 0) return fs_error(r, o_.tree_path);
  if (!S_ISDIR(st.st_mode)) {
    std::string why;
    PS_ASSIGN(r_.bytes, get_file(fs_, o_.tree_path, o_.dest, &why));
    if (!why.empty()) problem(why);
    r_.files = 1;
    return r_;
  }
  struct stat dst {};
  if (::stat(o_.dest.c_str(), &dst) == 0) {
    DIR* d = S_ISDIR(dst.st_mode) ? ::opendir(o_.dest.c_str()) : nullptr;
    size_t entries = 0;
    if (d) {
      while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++entries;
      ::closedir(d);
    }
    if (!d || entries > 0)
      return fail(Errc::exists, o_.dest +
                                    " exists and is not an empty directory; give a new "
                                    "path to restore into");
  } else if (::mkdir(o_.dest.c_str(), 0700) != 0) {
    return local_error("cannot create " + o_.dest, errno);
  }
  PS_TRY(directory(ino, o_.dest));
  std::string why;
  if (!copy_xattrs_from_tree(fs_, ino, o_.dest, &why)) problem(why);
  set_attrs(o_.dest, -1, st);
  ++r_.dirs;
  r_.stopped = stopping();
  return r_;
}

Status Restore::directory(uint64_t ino, const std::string& dest) {
  PS_ASSIGN(auto entries, list_dir(fs_, ino));
  for (auto& e : entries) {
    if (stopping()) return {};
    PS_TRY(entry(e, dest + "/" + e.name));
  }
  return {};
}

Status Restore::entry(const TreeEntry& e, const std::string& path) {
  const struct stat& st = e.st;
  uint64_t ino = st.st_ino;
  std::string why;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      return file(e, path);
    case S_IFDIR:
      if (::mkdir(path.c_str(), 0700) != 0) return local_error("cannot create " + path, errno);
      ++r_.dirs;
      PS_TRY(directory(ino, path));
      break;
    case S_IFLNK: {
      std::string target;
      if (int r = fs_.readlink(ino, &target); r != 0) return fs_error(r, path);
      if (::symlink(target.c_str(), path.c_str()) != 0)
        return local_error("cannot create " + path, errno);
      ++r_.symlinks;
      break;
    }
    default:  // fifos and device nodes
      if (::mknod(path.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
        problem("cannot create " + path + ": " + std::strerror(errno));
        return {};
      }
      ++r_.specials;
  }
  if (!copy_xattrs_from_tree(fs_, ino, path, &why)) problem(why);
  set_attrs(path, -1, st);
  return {};
}

Status Restore::file(const TreeEntry& e, const std::string& path) {
  uint64_t ino = e.st.st_ino;
  if (e.st.st_nlink > 1) {
    auto it = linked_.find(ino);
    if (it != linked_.end()) {
      if (::link(it->second.c_str(), path.c_str()) != 0)
        return local_error("cannot create " + path, errno);
      ++r_.hard_links;
      return {};
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return local_error("cannot create " + path, errno);
  auto copied = copy_out(fs_, ino, fd, path);
  if (!copied) {
    ::close(fd);
    ::unlink(path.c_str());
    if (copied.code() == Errc::no_space) return copied.error();
    problem(copied.error().context);
    return {};
  }
  std::string why;
  if (!copy_xattrs_from_tree(fs_, ino, path, &why)) problem(why);
  set_attrs(path, fd, e.st);
  ::close(fd);
  if (e.st.st_nlink > 1) linked_[ino] = path;
  ++r_.files;
  r_.bytes += *copied;
  if (o_.progress) o_.progress(r_.files, r_.bytes);
  return {};
}

}  // namespace

Result<RestoreResult> restore(FileSystem& fs, const RestoreOptions& options) {
  return Restore(fs, options).run();
}

Result<uint64_t> get_file(FileSystem& fs, const std::string& tree_path, const std::string& dest,
                          std::string* warning) {
  PS_ASSIGN(uint64_t ino, resolve(fs, tree_path));
  struct stat st {};
  if (int r = fs.getattr(ino, &st); r != 0) return fs_error(r, tree_path);
  if (!S_ISREG(st.st_mode))
    return fail(Errc::invalid, tree_path +
                                   " is not a regular file; use 'peerstore restore' for "
                                   "a directory");
  std::string path = dest;
  struct stat dst {};
  if (::stat(dest.c_str(), &dst) == 0 && S_ISDIR(dst.st_mode)) {
    PS_ASSIGN(auto parts, split_tree_path(tree_path));
    path = dest + "/" + (parts.empty() ? std::string("file") : parts.back());
  }
  std::string tmp = path + ".peerstore-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return local_error("cannot write next to " + path, errno);
  auto copied = copy_out(fs, ino, fd, path);
  // The content is what matters: an attribute this file system refuses is a warning.
  if (copied && !copy_xattrs_from_tree(fs, ino, tmp, warning) && warning)
    *warning = "restored without all its attributes: " + *warning;
  if (copied) set_attrs(tmp, fd, st);
  bool synced = copied && ::fsync(fd) == 0;
  ::close(fd);
  if (!copied || !synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    if (!copied) return copied.error();
    return local_error("cannot write " + path, e);
  }
  return *copied;
}

}  // namespace peerstore::client
