// FileSystem: volume links, the directory entries that stand for another volume's root
// (docs/sharing.md, "Mount: several volumes in one tree"). MountTree crosses them; here a link
// is an inode record that carries the linked volume's keys and holds no entries of its own.
#include <dirent.h>

#include <unordered_map>
#include <unordered_set>

#include "fs/file_system.h"

namespace peerstore {

int FileSystem::make_link(const Caller& c, uint64_t parent, std::string_view name,
                          const Secret& link, EntryOut* out) {
  if (link.empty() || link.size() > InodeRecord::kMaxLink) return EINVAL;
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "link a volume");
  Node* n;
  if (int e = new_node(c, **p, name, S_IFDIR | 0755, 0, {}, &n)) return e;
  n->rec.link = std::make_shared<const Secret>(link.view());
  n->dir.reset();  // no entries of its own: they live in the linked volume
  table_.mark_dirty(*n);
  return entry_reply(*n, out);
}

int FileSystem::link_of(uint64_t ino, std::shared_ptr<const Secret>* out) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "read a volume link");
  if (!(*n)->rec.is_link()) return EINVAL;
  *out = (*n)->rec.link;
  return 0;
}

int FileSystem::name_in(Node& dir, uint64_t ino, std::string* name, const char* op) {
  name->clear();
  auto found = dir_scan(*dir.dir, 0, [&](uint64_t, std::string_view entry, const DirEntry& e) {
    if (e.ino != ino) return true;
    *name = entry;
    return false;
  });
  if (!found) return err(found.error(), op);
  return name->empty() ? ENOENT : 0;
}

Status FileSystem::commit_under_lock() {
  if (!changed_) return {};
  PS_ASSIGN(auto root, seal_locked());
  if (auto st = volume_->commit(root); !st) {
    changed_ = true;
    return st;
  }
  return {};
}

int FileSystem::split_into(uint64_t dir, FileSystem& into, const LinkMaker& make_link,
                           uint64_t* link_ino) {
  if (dir == NodeTable::kRootIno) return EINVAL;
  std::lock_guard serial(commit_serial_);
  // The tree lock is held throughout: nothing may change the folder between copying it and
  // replacing it by the link, or that change would be lost with the folder's old inodes.
  std::lock_guard lock(mu_);
  if (auto st = commit_under_lock(); !st) return err(st.error(), "share a folder");
  auto top = node(dir);
  if (!top) return err(top.error(), "share a folder");
  if ((*top)->rec.is_link()) return EEXIST;  // a volume already
  if (!(*top)->rec.is_dir()) return ENOTDIR;
  if ((*top)->rec.nlink == 0) return ENOENT;
  uint64_t parent = (*top)->rec.parent;

  // Everything below it, from the committed records; nothing may be open (a write through a
  // handle would go to the old inode, gone from this volume), nor a link to another volume.
  std::vector<InodeRecord> recs;
  std::unordered_map<uint64_t, uint32_t> names;  // names inside, per non-directory inode
  std::vector<uint64_t> todo{dir};
  std::unordered_set<uint64_t> seen{dir};
  while (!todo.empty()) {
    uint64_t ino = todo.back();
    todo.pop_back();
    auto n = node(ino);
    if (!n) return err(n.error(), "share a folder");
    if ((*n)->open_count > 0) return EBUSY;
    if ((*n)->rec.is_link()) return EEXIST;
    recs.push_back((*n)->rec);
    if (!(*n)->rec.is_dir()) continue;
    if (auto st = table_.load_content(**n); !st) return err(st.error(), "share a folder");
    auto s = dir_scan(*(*n)->dir, 0, [&](uint64_t, std::string_view, const DirEntry& e) {
      ++names[e.ino];
      if (seen.insert(e.ino).second) todo.push_back(e.ino);
      return true;
    });
    if (!s) return err(s.error(), "share a folder");
  }
  for (auto& r : recs)
    if (!r.is_dir() && r.nlink != names[r.ino]) return EXDEV;  // a hard link leads out of it

  auto p = dir_node(parent);
  if (!p) return err(p.error(), "share a folder");
  std::string name;
  if (int e = name_in(**p, dir, &name, "share a folder")) return e;
  auto link = make_link(name);
  if (!link) return err(link.error(), "share a folder");
  if (link->empty() || link->size() > InodeRecord::kMaxLink) return EINVAL;

  // The new volume first: if this fails, nothing here changed.
  InodeRecord folder = recs.front();
  if (int e = into.adopt_tree(std::move(recs), dir)) return e;

  // Then the folder's name becomes the link, and its inodes leave this volume.
  if (auto st = dir_remove(*(*p)->dir, name); !st) return err(st.error(), "share a folder");
  (*p)->rec.entries--;
  (*p)->rec.nlink--;
  for (uint64_t ino : seen) {
    Node* n = table_.find_loaded(ino);
    if (!n) {
      auto loaded = node(ino);
      if (!loaded) return err(loaded.error(), "share a folder");
      n = *loaded;
    }
    if (auto st = table_.unlink(*n); !st) return err(st.error(), "share a folder");
  }
  Node* l;
  Caller owner{folder.uid, folder.gid};
  if (int e = new_node(owner, **p, name, folder.mode, 0, {}, &l)) return e;
  l->rec.link = std::make_shared<const Secret>(link->view());
  l->rec.xattrs = folder.xattrs;
  l->rec.atime = folder.atime;
  l->rec.mtime = folder.mtime;
  l->rec.btime = folder.btime;
  l->dir.reset();
  table_.mark_dirty(*l);
  changed_ = true;
  uint64_t made = l->ino();  // the commit's sweep may evict the node `l` points at
  if (auto st = commit_under_lock(); !st) return err(st.error(), "share a folder");
  *link_ino = made;
  // The kernel still holds the folder under its old number: told from the sync thread (never
  // from this request's handler), it looks the name up again and finds the link.
  {
    std::lock_guard nlock(pending_mu_);
    pending_.inodes.push_back(dir);
    pending_.entries.emplace_back(parent, name);
  }
  wake_sync();
  return 0;
}

int FileSystem::relink(uint64_t old_link, const Secret& link, uint64_t new_ino) {
  if (link.empty() || link.size() > InodeRecord::kMaxLink) return EINVAL;
  if (new_ino <= NodeTable::kRootIno || new_ino >> 63) return EINVAL;
  std::lock_guard serial(commit_serial_);
  std::lock_guard lock(mu_);
  if (auto done = table_.get(new_ino); done) return (*done)->rec.is_link() ? 0 : EEXIST;
  auto old = node(old_link);
  if (!old) return err(old.error(), "move a link");
  if (!(*old)->rec.is_link() || (*old)->rec.nlink == 0) return EINVAL;
  InodeRecord was = (*old)->rec;
  auto p = dir_node(was.parent);
  if (!p) return err(p.error(), "move a link");
  std::string name;
  if (int e = name_in(**p, old_link, &name, "move a link")) return e;
  if (int e = remove_entry(**p, name, true)) return e;
  if (!room_for(0, true)) return ENOSPC;
  InodeRecord r;
  r.ino = new_ino;
  r.mode = was.mode;
  r.uid = was.uid;
  r.gid = was.gid;
  r.nlink = 2;
  r.atime = was.atime;
  r.mtime = was.mtime;
  r.btime = was.btime;
  r.ctime = now();
  r.parent = was.parent;
  r.xattrs = was.xattrs;
  r.link = std::make_shared<const Secret>(link.view());
  if (auto st = table_.adopt(std::move(r)); !st) return err(st.error(), "move a link");
  if (auto st = dir_insert(*(*p)->dir, name, DirEntry{new_ino, DT_DIR}); !st)
    return err(st.error(), "move a link");
  (*p)->rec.entries++;
  (*p)->rec.nlink++;
  table_.mark_dirty(**p);
  changed_ = true;
  if (auto st = commit_under_lock(); !st) return err(st.error(), "move a link");
  {
    std::lock_guard nlock(pending_mu_);
    pending_.inodes.push_back(old_link);
    pending_.entries.emplace_back(was.parent, name);
  }
  wake_sync();
  return 0;
}

int FileSystem::adopt_tree(std::vector<InodeRecord> recs, uint64_t top) {
  std::lock_guard serial(commit_serial_);
  {
    std::lock_guard lock(mu_);
    auto root = node(NodeTable::kRootIno);
    if (!root) return err(root.error(), "make a volume of a folder");
    if ((*root)->rec.entries != 0 || !volume_->is_new()) return EEXIST;
    for (auto& r : recs) {
      if (r.parent == top) r.parent = NodeTable::kRootIno;
      if (r.ino == top) {
        r.ino = NodeTable::kRootIno;
        (*root)->rec = std::move(r);
        (*root)->dir.reset();  // read again from the record's own trie
        table_.mark_dirty(**root);
      } else if (auto st = table_.adopt(std::move(r)); !st) {
        return err(st.error(), "make a volume of a folder");
      }
    }
    changed_ = true;
  }
  return commit_locked();
}

}  // namespace peerstore
