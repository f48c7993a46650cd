#include "fs/exposure.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "fs/head_history.h"
#include "fs/version_view.h"

namespace peerstore {
namespace {

int64_t ns_of(const timespec& t) {
  return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// The regular files of one version's tree, depth first.
Status files_of(FileSystem& fs, std::vector<ExposedFile>* out) {
  std::vector<std::pair<uint64_t, std::string>> todo{{NodeTable::kRootIno, ""}};
  while (!todo.empty()) {
    auto [dir, path] = todo.back();
    todo.pop_back();
    std::vector<std::string> names;
    if (int e = fs.readdir(dir, 0, false, [&](std::string_view n, const struct stat&, uint64_t) {
          if (n != "." && n != "..") names.emplace_back(n);
          return true;
        }))
      return fail(errc_of_errno(e), "cannot list " + (path.empty() ? "/" : path));
    for (auto& name : names) {
      EntryOut e;
      if (int r = fs.lookup(dir, name, &e))
        return fail(errc_of_errno(r), "cannot read " + path + "/" + name);
      if (S_ISDIR(e.attr.st_mode))
        todo.emplace_back(e.ino, path + "/" + name);
      else if (S_ISREG(e.attr.st_mode))
        out->push_back({path + "/" + name, uint64_t(e.attr.st_size), ns_of(e.attr.st_mtim), 0});
      fs.forget(e.ino, 1);
    }
  }
  return {};
}

}  // namespace

Result<Exposure> exposure(LocalStore& store, const VolumeKeys& keys, const PublicKey& device) {
  PS_ASSIGN(auto volume, Volume::open(store, reader_keys(keys), device));
  PS_ASSIGN(auto tips, volume->fetch_heads());
  History history = walk_history(tips, [&](const Id256& id) { return volume->load_head(id); });
  Exposure out;
  if (history.cut)
    out.problems.push_back("the history is longer than " + std::to_string(kMaxHistoryWalk) +
                           " versions: only the newest were read");
  for (auto& [id, e] : history.missing)
    out.problems.push_back("version " + id.short_hex() + ": " + e.message());
  std::vector<const Head*> versions;
  for (auto& [id, h] : history.heads) versions.push_back(&h);
  std::sort(versions.begin(), versions.end(),
            [](const Head* a, const Head* b) { return a->time_ns < b->time_ns; });
  // (path, size, mtime) -> the earliest version's time
  std::map<std::tuple<std::string, uint64_t, int64_t>, int64_t> seen;
  for (const Head* h : versions) {
    auto read_version = [&]() -> Status {
      PS_ASSIGN(auto fs, open_version(store, keys, device, *h));
      std::vector<ExposedFile> files;
      PS_TRY(files_of(*fs, &files));
      for (auto& f : files) seen.try_emplace({f.path, f.size, f.mtime_ns}, h->time_ns);
      return {};
    };
    if (Status st = read_version(); !st)
      out.problems.push_back("version " + h->hash().short_hex() + ": " + st.error().message());
    else
      ++out.versions;
  }
  for (auto& [key, first] : seen)
    out.files.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), first});
  return out;
}

}  // namespace peerstore
