#include "client/tree_check.h"

#include <cstring>
#include <unordered_set>

#include "client/tree_path.h"

namespace peerstore::client {
namespace {

constexpr size_t kReadSize = 1 << 20;

// Reads the whole file; the first error, or "" when every byte read back.
std::string read_file(FileSystem& fs, uint64_t ino, uint64_t size, uint64_t* bytes) {
  Bytes buf;
  for (uint64_t off = 0; off < size;) {
    if (int r = fs.read(ino, off, kReadSize, &buf); r != 0) return std::strerror(r);
    if (buf.empty())
      return "ends after " + std::to_string(off) + " of " + std::to_string(size) + " bytes";
    off += buf.size();
    *bytes += buf.size();
  }
  return {};
}

}  // namespace

Result<CheckReport> check_tree(FileSystem& fs, const CheckOptions& o) {
  PS_ASSIGN(uint64_t start, resolve(fs, o.tree_path));
  struct stat root_st {};
  if (int r = fs.getattr(start, &root_st); r != 0) return fs_error(r, o.tree_path);
  CheckReport rep;
  auto damage = [&](const std::string& path, const std::string& error) {
    rep.damaged.push_back(Damage{path, error});
    if (o.found) o.found(rep.damaged.back());
  };
  std::unordered_set<uint64_t> linked_files_read;  // files with more than one name
  auto check_entry = [&](const std::string& path, const struct stat& st) {
    if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1 && !linked_files_read.insert(st.st_ino).second) return;
      ++rep.counts.files;
      std::string e = read_file(fs, st.st_ino, uint64_t(st.st_size), &rep.counts.bytes);
      if (!e.empty()) damage(path, e);
    } else if (S_ISLNK(st.st_mode)) {
      ++rep.counts.symlinks;
      std::string target;
      if (int r = fs.readlink(st.st_ino, &target); r != 0) damage(path, std::strerror(r));
    } else if (!S_ISDIR(st.st_mode)) {
      ++rep.counts.others;
    }
  };
  std::vector<std::pair<uint64_t, std::string>> dirs;  // to list, depth first
  if (S_ISDIR(root_st.st_mode))
    dirs.emplace_back(start, o.tree_path);
  else
    check_entry(o.tree_path, root_st);
  while (!dirs.empty()) {
    if (o.stop && o.stop->load()) {
      rep.stopped = true;
      break;
    }
    auto [ino, path] = std::move(dirs.back());
    dirs.pop_back();
    ++rep.counts.dirs;
    auto entries = list_dir(fs, ino);
    if (!entries) {
      damage(path, entries.error().message());
      continue;
    }
    for (auto& e : *entries) {
      if (o.stop && o.stop->load()) break;
      std::string child = tree_join(path, e.name);
      if (S_ISDIR(e.st.st_mode))
        dirs.emplace_back(e.st.st_ino, std::move(child));
      else
        check_entry(child, e.st);
      if (o.progress) o.progress(rep.counts);
    }
  }
  if (o.stop && o.stop->load()) rep.stopped = true;
  return rep;
}

}  // namespace peerstore::client
