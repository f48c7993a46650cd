#include "fs/record_merge.h"

#include <climits>
#include <ctime>

namespace peerstore {
namespace {

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool time_less(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

template <typename T>
T pick(const T& b, const T& w, const T& l) {
  if (w == b) return l;
  return w;  // changed on w only, or on both: the winner's
}

timespec pick_time(const timespec& b, const timespec& w, const timespec& l) {
  if (same_time(w, b)) return l;
  if (same_time(l, b)) return w;
  return time_less(w, l) ? l : w;
}

bool same_link(const std::shared_ptr<const Secret>& a, const std::shared_ptr<const Secret>& b) {
  if (!a || !b) return a == b;
  return *a == *b;
}

}  // namespace

bool same_content(const InodeRecord& a, const InodeRecord& b) {
  return a.size == b.size && a.inline_data == b.inline_data && a.root == b.root &&
         a.depth == b.depth && (a.is_dir() || a.entries == b.entries);
}

InodeRecord merge_fields(const InodeRecord& base, const InodeRecord& w, const InodeRecord& l) {
  InodeRecord r = w;
  r.mode = pick(base.mode, w.mode, l.mode);
  r.uid = pick(base.uid, w.uid, l.uid);
  r.gid = pick(base.gid, w.gid, l.gid);
  r.rdev = pick(base.rdev, w.rdev, l.rdev);
  r.nlink = pick(base.nlink, w.nlink, l.nlink);
  r.parent = pick(base.parent, w.parent, l.parent);
  r.atime = pick_time(base.atime, w.atime, l.atime);
  r.mtime = pick_time(base.mtime, w.mtime, l.mtime);
  r.ctime = pick_time(base.ctime, w.ctime, l.ctime);
  r.btime = pick_time(base.btime, w.btime, l.btime);
  // A link changes when its volume is rotated (a revoke): the side that changed it wins.
  if (same_link(w.link, base.link)) r.link = l.link;
  if (!w.is_dir() && same_content(w, base)) {
    r.size = l.size;
    r.inline_data = l.inline_data;
    r.root = l.root;
    r.depth = l.depth;
    r.entries = l.entries;
  }
  // Xattrs per name: the union of names, each value three-way.
  r.xattrs.clear();
  auto value_in = [](const std::map<std::string, Bytes>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::optional<Bytes>() : std::optional<Bytes>(it->second);
  };
  std::map<std::string, bool> names;
  for (auto* m : {&base.xattrs, &w.xattrs, &l.xattrs})
    for (auto& [k, v] : *m) names[k] = true;
  for (auto& [k, unused] : names) {
    auto v = pick(value_in(base.xattrs, k), value_in(w.xattrs, k), value_in(l.xattrs, k));
    if (v) r.xattrs.emplace(k, std::move(*v));
  }
  // A folder that became a link on one side while the other added names to it: the names are
  // kept and the folder stays a folder (the linked volume keeps its own copy): nothing is lost.
  if (r.link && (r.root || r.entries != 0 || !r.is_dir())) r.link = nullptr;
  return r;
}

std::string conflict_name(std::string_view name, std::string_view device, int64_t time_ns,
                          int attempt) {
  std::string_view stem = name, ext;
  if (auto dot = name.rfind('.');
      dot != std::string_view::npos && dot > 0 && dot + 1 < name.size()) {
    stem = name.substr(0, dot);
    ext = name.substr(dot);
  }
  time_t secs = time_t(time_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string tail = ".conflict-" + std::string(device) + "-" + stamp;
  if (attempt > 0) tail += "-" + std::to_string(attempt);
  tail += ext;
  if (tail.size() >= NAME_MAX) tail = tail.substr(0, NAME_MAX - 1);
  size_t room = NAME_MAX - tail.size();
  if (stem.size() > room) stem = stem.substr(0, room);
  return std::string(stem) + tail;
}

}  // namespace peerstore
