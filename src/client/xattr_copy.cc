#include "client/xattr_copy.h"

#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace peerstore::client {
namespace {

// Names in a listxattr buffer ("a\0b\0").
std::set<std::string> split_names(const char* data, size_t size) {
  std::set<std::string> out;
  for (size_t i = 0; i < size;) {
    size_t len = strnlen(data + i, size - i);
    if (len > 0) out.emplace(data + i, len);
    i += len + 1;
  }
  return out;
}

// A local file's attributes, through the l* calls (a symlink's own).
int local_xattrs(const std::string& path, std::set<std::string>* names) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) return errno == ENOTSUP ? 0 : errno;
    std::string buf(size_t(n), '\0');
    n = ::llistxattr(path.c_str(), buf.data(), buf.size());
    if (n < 0 && errno == ERANGE) continue;  // grew meanwhile
    if (n < 0) return errno;
    *names = split_names(buf.data(), size_t(n));
    return 0;
  }
  return ERANGE;
}

int local_value(const std::string& path, const std::string& name, Bytes* out) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (n < 0) return errno;
    out->resize(size_t(n));
    n = ::lgetxattr(path.c_str(), name.c_str(), out->data(), out->size());
    if (n < 0 && errno == ERANGE) continue;
    if (n < 0) return errno;
    out->resize(size_t(n));
    return 0;
  }
  return ERANGE;
}

std::set<std::string> tree_xattrs(FileSystem& fs, uint64_t ino) {
  Bytes buf;
  size_t size = 0;
  if (fs.listxattr(ino, 0, &buf, &size) != 0 || size == 0) return {};
  if (fs.listxattr(ino, size, &buf, &size) != 0) return {};
  return split_names(reinterpret_cast<const char*>(buf.data()), std::min(size, buf.size()));
}

void note(std::string* why, const std::string& what) {
  if (why && why->empty()) *why = what;
}

}  // namespace

bool copy_xattrs_to_tree(const std::string& src, FileSystem& fs, uint64_t ino, std::string* why) {
  std::set<std::string> names;
  if (int e = local_xattrs(src, &names); e != 0) {
    note(why, "cannot list the extended attributes of " + src + ": " + std::strerror(e));
    return false;
  }
  bool ok = true;
  for (auto& old : tree_xattrs(fs, ino))
    if (!names.count(old)) fs.removexattr(ino, old);
  for (auto& name : names) {
    Bytes value, old;
    size_t old_size = 0;
    int e = local_value(src, name, &value);
    if (e == 0 && fs.getxattr(ino, name, value.size(), &old, &old_size) == 0 && old == value)
      continue;  // unchanged: not set again
    if (e == 0) e = fs.setxattr(ino, name, value, 0);
    if (e == ENODATA) continue;  // removed meanwhile
    if (e != 0) {
      ok = false;
      note(why, "extended attribute " + name + " of " + src + " not stored: " + std::strerror(e));
    }
  }
  return ok;
}

bool copy_xattrs_from_tree(FileSystem& fs, uint64_t ino, const std::string& dest,
                           std::string* why) {
  bool ok = true;
  for (auto& name : tree_xattrs(fs, ino)) {
    Bytes value;
    size_t size = 0;
    int e = fs.getxattr(ino, name, 0, &value, &size);
    if (e == 0) e = fs.getxattr(ino, name, size, &value, &size);
    if (e == 0 &&
        ::lsetxattr(dest.c_str(), name.c_str(), value.data(), std::min(size, value.size()), 0) != 0)
      e = errno;
    if (e != 0) {
      ok = false;
      note(why,
           "extended attribute " + name + " not restored on " + dest + ": " + std::strerror(e));
    }
  }
  return ok;
}

}  // namespace peerstore::client
