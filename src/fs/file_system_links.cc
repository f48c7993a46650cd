// FileSystem: volume links, the directory entries that stand for another volume's root
// (docs/sharing.md, "Mount: several volumes in one tree"). MountTree crosses them; here a link
// is an inode record that carries the linked volume's keys and holds no entries of its own.
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

}  // namespace peerstore
