#include "fs/tree_copy.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>  // FUSE_SET_ATTR_*

#include <map>
#include <vector>

namespace peerstore {
namespace {

constexpr size_t kPiece = 1 << 20;
constexpr size_t kXattrList = 256 << 10;  // FileSystem::kMaxXattrTotal

class Copier {
 public:
  Copier(FileSystem& from, FileSystem& to) : from_(from), to_(to) {}

  Status run() {
    PS_TRY(copy_dir(NodeTable::kRootIno, NodeTable::kRootIno, ""));
    struct stat st;
    if (int e = from_.getattr(NodeTable::kRootIno, &st)) return failed(e, "/");
    return attrs(NodeTable::kRootIno, NodeTable::kRootIno, st, "/");
  }
  const CopyStats& stats() const { return stats_; }

 private:
  static Error failed(int e, const std::string& path) {
    return fail(errc_of_errno(e),
                "cannot copy " + (path.empty() ? "/" : path) + ": " + std::strerror(e));
  }

  Status copy_dir(uint64_t src, uint64_t dst, const std::string& path) {
    std::vector<std::string> names;
    if (int e = from_.readdir(src, 0, false, [&](std::string_view n, const struct stat&, uint64_t) {
          if (n != "." && n != "..") names.emplace_back(n);
          return true;
        }))
      return failed(e, path);
    for (auto& name : names) PS_TRY(copy_entry(src, dst, name, path + "/" + name));
    return {};
  }

  Status copy_entry(uint64_t src_dir, uint64_t dst_dir, const std::string& name,
                    const std::string& path) {
    EntryOut in;
    if (int e = from_.lookup(src_dir, name, &in)) return failed(e, path);
    Status st = copy_inode(in, dst_dir, name, path);
    from_.forget(in.ino, 1);
    return st;
  }

  Status copy_inode(const EntryOut& in, uint64_t dst_dir, const std::string& name,
                    const std::string& path) {
    const struct stat& st = in.attr;
    Caller owner{st.st_uid, st.st_gid};
    EntryOut out;
    // A second name of a file already copied: a hard link there too.
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      if (auto seen = copied_.find(in.ino); seen != copied_.end()) {
        if (int e = to_.link(seen->second, dst_dir, name, &out)) return failed(e, path);
        to_.forget(out.ino, 1);
        ++stats_.hard_links;
        return {};
      }
    }
    if (S_ISDIR(st.st_mode)) {
      if (int e = to_.mkdir(owner, dst_dir, name, st.st_mode & 07777, &out)) return failed(e, path);
      ++stats_.dirs;
      Status inner = copy_dir(in.ino, out.ino, path);
      if (inner) inner = attrs(in.ino, out.ino, st, path);
      to_.forget(out.ino, 1);
      return inner;
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target;
      if (int e = from_.readlink(in.ino, &target)) return failed(e, path);
      if (int e = to_.symlink(owner, target, dst_dir, name, &out)) return failed(e, path);
      ++stats_.symlinks;
    } else if (S_ISREG(st.st_mode)) {
      if (int e = to_.create(owner, dst_dir, name, st.st_mode & 07777, O_WRONLY, &out))
        return failed(e, path);
      Status content = copy_content(in.ino, out.ino, uint64_t(st.st_size), path);
      to_.release(out.ino);
      if (!content) {
        to_.forget(out.ino, 1);
        return content;
      }
      ++stats_.files;
    } else {
      if (int e = to_.mknod(owner, dst_dir, name, st.st_mode, st.st_rdev, &out))
        return failed(e, path);
      ++stats_.specials;
    }
    Status done = attrs(in.ino, out.ino, st, path);
    if (st.st_nlink > 1) copied_[in.ino] = out.ino;
    to_.forget(out.ino, 1);
    return done;
  }

  // The content, piece by piece; pieces of zeros that the source reads from holes are skipped
  // (the size is set at the end), so holes stay holes.
  Status copy_content(uint64_t src, uint64_t dst, uint64_t size, const std::string& path) {
    if (int e = from_.open(src, O_RDONLY)) return failed(e, path);
    Status st;
    Bytes buf;
    for (uint64_t off = 0; off < size; off += kPiece) {
      if (int e = from_.read(src, off, kPiece, &buf)) {
        st = failed(e, path);
        break;
      }
      if (buf.empty()) break;
      bool zeros = std::all_of(buf.begin(), buf.end(), [](uint8_t b) { return b == 0; });
      if (!zeros) {
        ssize_t n = to_.write(dst, off, buf);
        if (n < 0) {
          st = failed(int(-n), path);
          break;
        }
      }
      stats_.bytes += buf.size();
    }
    from_.release(src);
    if (!st) return st;
    struct stat in {
    }, out;
    in.st_size = off_t(size);
    if (int e = to_.setattr(dst, in, FUSE_SET_ATTR_SIZE, &out)) return failed(e, path);
    return {};
  }

  // Extended attributes, owner, mode and times, after the content (writes move the times).
  Status attrs(uint64_t src, uint64_t dst, const struct stat& st, const std::string& path) {
    Bytes list;
    size_t size = 0;
    if (int e = from_.listxattr(src, kXattrList, &list, &size)) return failed(e, path);
    for (size_t at = 0; at < list.size();) {
      size_t end = at;
      while (end < list.size() && list[end] != 0) ++end;
      std::string name(list.begin() + long(at), list.begin() + long(end));
      at = end + 1;
      Bytes value;
      size_t n = 0;
      if (int e = from_.getxattr(src, name, FileSystem::kMaxXattrValue, &value, &n))
        return failed(e, path);
      if (int e = to_.setxattr(dst, name, value, 0)) return failed(e, path);
    }
    struct stat in = st, out;
    int to_set = FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME;
    if (!S_ISLNK(st.st_mode)) to_set |= FUSE_SET_ATTR_MODE;
    if (int e = to_.setattr(dst, in, to_set, &out)) return failed(e, path);
    return {};
  }

  FileSystem& from_;
  FileSystem& to_;
  CopyStats stats_;
  std::map<uint64_t, uint64_t> copied_;  // files with several names: source -> copy
};

}  // namespace

Result<CopyStats> copy_tree(FileSystem& from, FileSystem& to) {
  Copier c(from, to);
  PS_TRY(c.run());
  return c.stats();
}

}  // namespace peerstore
