// FileSystem: the links of shares received (docs/sharing.md, Receiving), placed and removed by
// the mount's share receiver at /shared/OWNER/FOLDER. Every inode made here has a number derived
// from its path (and a link's from its volume too), so two computers of the user that place the
// same share make the same inodes, and live sync's merge takes them as one.
#include <dirent.h>
#include <sodium.h>

#include "fs/file_system.h"

namespace peerstore {
namespace {

uint64_t derived_ino(std::string_view path, ByteView extra) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 8);
  constexpr std::string_view kContext = "peerstore received share";
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kContext.data()),
                            kContext.size() + 1);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(path.data()), path.size());
  crypto_generichash_update(&st, extra.data(), extra.size());
  uint8_t out[8];
  crypto_generichash_final(&st, out, sizeof out);
  uint64_t ino = get_u64be(out) & ((uint64_t(1) << 63) - 1);
  return ino <= NodeTable::kRootIno ? ino + 2 : ino;
}

timespec time_of(int64_t ns) {
  return timespec{time_t(ns / 1000000000), long(ns % 1000000000)};
}

}  // namespace

int FileSystem::place_link(const Caller& owner, const std::vector<std::string>& path,
                           const Secret& link, ByteView volume,
                           const std::map<std::string, Bytes>& xattrs, int64_t time_ns) {
  if (path.empty() || link.empty() || link.size() > InodeRecord::kMaxLink) return EINVAL;
  std::lock_guard lock(mu_);
  auto d = dir_node(NodeTable::kRootIno);
  if (!d) return err(d.error(), "place a share");
  Node* dir = *d;
  std::string sofar;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& name = path[i];
    if (name.empty() || name.size() > NAME_MAX || name == "." || name == ".." ||
        name.find('/') != std::string::npos)
      return EINVAL;
    sofar += "/" + name;
    bool last = i + 1 == path.size();
    uint64_t want = derived_ino(sofar, last ? volume : ByteView());
    auto e = dir_lookup(*dir->dir, name);
    if (!e) return err(e.error(), "place a share");
    if (*e) {
      auto n = node((*e)->ino);
      if (!n) return err(n.error(), "place a share");
      if (!last) {
        if (!(*n)->rec.is_dir() || (*n)->rec.is_link()) return EEXIST;
        auto next = dir_node((*n)->ino());
        if (!next) return err(next.error(), "place a share");
        dir = *next;
        continue;
      }
      if (!(*n)->rec.is_link()) return EEXIST;
      if ((*n)->ino() == want) return 0;  // this share's link is there already
      // Another volume's link (an older epoch): the new one takes its name.
      if (int r = remove_entry(*dir, name, true)) return r;
    }
    if (!room_for(0, true)) return ENOSPC;
    // In use elsewhere in the tree; a number removed earlier (a share withdrawn, its owner's
    // directory with it) comes back.
    if (auto taken = table_.get(want); taken && !(*taken)->unlinked) return EEXIST;
    InodeRecord r;
    r.ino = want;
    r.mode = S_IFDIR | 0755;
    r.uid = owner.uid;
    r.gid = owner.gid;
    r.nlink = 2;
    r.atime = r.mtime = r.ctime = r.btime = time_of(time_ns);
    r.parent = dir->ino();
    if (last) {
      r.link = std::make_shared<const Secret>(link.view());
      r.xattrs = xattrs;
    }
    if (auto st = table_.adopt(std::move(r), true); !st) return err(st.error(), "place a share");
    auto n = node(want);
    if (!n) return err(n.error(), "place a share");
    if (!last) (*n)->dir = std::make_unique<TrieMap>(volume_->io());
    if (auto st = dir_insert(*dir->dir, name, DirEntry{want, DT_DIR}); !st)
      return err(st.error(), "place a share");
    dir->rec.entries++;
    dir->rec.nlink++;
    dir->rec.mtime = dir->rec.ctime = now();
    table_.mark_dirty(*dir);
    {
      std::lock_guard nlock(pending_mu_);
      pending_.entries.emplace_back(dir->ino(), name);
    }
    dir = *n;
  }
  changed_ = true;
  commit_soon();
  wake_sync();
  return 0;
}

int FileSystem::remove_link(const std::vector<std::string>& path) {
  if (path.empty()) return EINVAL;
  std::lock_guard lock(mu_);
  std::vector<Node*> dirs;
  auto d = dir_node(NodeTable::kRootIno);
  if (!d) return err(d.error(), "remove a share");
  dirs.push_back(*d);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    auto e = dir_lookup(*dirs.back()->dir, path[i]);
    if (!e) return err(e.error(), "remove a share");
    if (!*e) return ENOENT;
    auto n = dir_node((*e)->ino);
    if (!n) return n.code() == Errc::invalid ? ENOTDIR : err(n.error(), "remove a share");
    dirs.push_back(*n);
  }
  auto e = dir_lookup(*dirs.back()->dir, path.back());
  if (!e) return err(e.error(), "remove a share");
  if (!*e) return ENOENT;
  auto n = node((*e)->ino);
  if (!n) return err(n.error(), "remove a share");
  if (!(*n)->rec.is_link()) return EEXIST;
  if (int r = remove_entry(*dirs.back(), path.back(), true)) return r;
  std::vector<std::pair<uint64_t, std::string>> gone{{dirs.back()->ino(), path.back()}};
  // The owner's directory goes with its last share (never the top one, /shared).
  if (dirs.size() > 2 && dirs.back()->rec.entries == 0 &&
      remove_entry(*dirs[dirs.size() - 2], path[path.size() - 2], true) == 0)
    gone.emplace_back(dirs[dirs.size() - 2]->ino(), path[path.size() - 2]);
  {
    std::lock_guard nlock(pending_mu_);
    for (auto& g : gone) pending_.entries.push_back(std::move(g));
  }
  wake_sync();
  return 0;
}

int FileSystem::links_below(const std::vector<std::string>& top, std::vector<FoundLink>* out) {
  std::lock_guard lock(mu_);
  auto d = dir_node(NodeTable::kRootIno);
  if (!d) return err(d.error(), "list shares");
  Node* dir = *d;
  for (auto& name : top) {
    auto e = dir_lookup(*dir->dir, name);
    if (!e) return err(e.error(), "list shares");
    if (!*e) return 0;  // nothing there yet
    auto n = dir_node((*e)->ino);
    if (!n) return n.code() == Errc::invalid ? 0 : err(n.error(), "list shares");
    dir = *n;
  }
  // Two levels: OWNER/FOLDER.
  std::vector<std::pair<std::string, uint64_t>> owners;
  auto s = dir_scan(*dir->dir, 0, [&](uint64_t, std::string_view name, const DirEntry& e) {
    if (e.type == DT_DIR) owners.emplace_back(std::string(name), e.ino);
    return true;
  });
  if (!s) return err(s.error(), "list shares");
  for (auto& [owner_name, ino] : owners) {
    auto o = dir_node(ino);
    if (!o) continue;  // a link or no directory: not made by the receiver
    std::vector<std::pair<std::string, uint64_t>> folders;
    auto f = dir_scan(*(*o)->dir, 0, [&](uint64_t, std::string_view name, const DirEntry& e) {
      folders.emplace_back(std::string(name), e.ino);
      return true;
    });
    if (!f) return err(f.error(), "list shares");
    for (auto& [folder, fino] : folders) {
      auto n = node(fino);
      if (!n || !(*n)->rec.is_link()) continue;
      std::vector<std::string> path = top;
      path.push_back(owner_name);
      path.push_back(folder);
      out->push_back(FoundLink{std::move(path), (*n)->rec.link, (*n)->rec.xattrs});
    }
  }
  return 0;
}

int FileSystem::set_hidden(uint64_t ino, const std::string& name, const Bytes& value) {
  if (!is_health_xattr(name)) return EINVAL;
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "record a share");
  (*n)->rec.xattrs[name] = value;
  table_.mark_dirty(**n);
  changed_ = true;
  commit_soon();
  return 0;
}

int FileSystem::remove_hidden(uint64_t ino, const std::string& name) {
  if (!is_health_xattr(name)) return EINVAL;
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "remove a share record");
  if ((*n)->rec.xattrs.erase(name) == 0) return 0;
  table_.mark_dirty(**n);
  changed_ = true;
  commit_soon();
  return 0;
}

int FileSystem::hidden(uint64_t ino, std::string_view prefix, std::map<std::string, Bytes>* out) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "read the share records");
  for (auto& [k, v] : (*n)->rec.xattrs)
    if (k.compare(0, prefix.size(), prefix) == 0 && is_health_xattr(k)) out->emplace(k, v);
  return 0;
}

int FileSystem::path_of_dir(uint64_t dir, std::string* out) {
  std::lock_guard lock(mu_);
  auto n = node(dir);
  if (!n) return err(n.error(), "find a folder");
  if ((*n)->rec.nlink == 0 || (*n)->unlinked) return ENOENT;
  auto p = path_of(dir);
  if (!p) return err(p.error(), "find a folder");
  *out = p->empty() ? "/" : *p;
  return 0;
}

}  // namespace peerstore
