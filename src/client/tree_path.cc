#include "client/tree_path.h"

#include <cerrno>
#include <cstring>

namespace peerstore::client {

Error fs_error(int err, const std::string& what) {
  return fail(errc_of_errno(err), what + ": " + std::strerror(err));
}

Result<std::vector<std::string>> split_tree_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "." || part == "..")
      return fail(Errc::invalid, "tree path " + std::string(path) +
                                     " has a '.' or '..' component; give the path in full");
    if (!part.empty()) out.emplace_back(part);
    i = j + 1;
  }
  return out;
}

std::string tree_join(const std::string& dir, std::string_view name) {
  std::string out = dir.empty() || dir.back() != '/' ? dir + "/" : dir;
  return out + std::string(name);
}

namespace {

// Follows `path` from the root; with `create`, makes missing components directories of that
// caller (and every component must then be one).
Result<uint64_t> walk(FileSystem& fs, std::string_view path, const Caller* create) {
  PS_ASSIGN(auto parts, split_tree_path(path));
  uint64_t ino = NodeTable::kRootIno;
  std::string at;
  for (auto& p : parts) {
    at += "/" + p;
    EntryOut e;
    int r = fs.lookup(ino, p, &e);
    if (r == ENOENT && create) r = fs.mkdir(*create, ino, p, 0755, &e);
    if (r != 0) return fs_error(r, at);
    if (create && !S_ISDIR(e.attr.st_mode))
      return fail(Errc::invalid, at + " is in the tree but is not a directory");
    ino = e.ino;
  }
  return ino;
}

}  // namespace

Result<uint64_t> resolve(FileSystem& fs, std::string_view path) {
  return walk(fs, path, nullptr);
}

Result<uint64_t> make_dirs(FileSystem& fs, const Caller& caller, std::string_view path) {
  return walk(fs, path, &caller);
}

Result<std::vector<TreeEntry>> list_dir(FileSystem& fs, uint64_t dir) {
  std::vector<TreeEntry> out;
  int r = fs.readdir(dir, 0, false, [&](std::string_view name, const struct stat&, uint64_t) {
    if (name != "." && name != "..") out.push_back(TreeEntry{std::string(name), {}});
    return true;
  });
  if (r != 0) return fs_error(r, "listing a directory of the tree");
  for (auto& e : out) {
    EntryOut eo;
    if (int lr = fs.lookup(dir, e.name, &eo); lr != 0) return fs_error(lr, e.name);
    e.st = eo.attr;
    e.st.st_ino = eo.ino;
  }
  return out;
}

Status remove_tree(FileSystem& fs, uint64_t parent, const std::string& name) {
  EntryOut e;
  if (int r = fs.lookup(parent, name, &e); r != 0) return fs_error(r, name);
  if (!S_ISDIR(e.attr.st_mode)) {
    if (int r = fs.unlink(parent, name); r != 0) return fs_error(r, name);
    return {};
  }
  PS_ASSIGN(auto children, list_dir(fs, e.ino));
  for (auto& c : children) PS_TRY(remove_tree(fs, e.ino, c.name));
  if (int r = fs.rmdir(parent, name); r != 0) return fs_error(r, name);
  return {};
}

}  // namespace peerstore::client
