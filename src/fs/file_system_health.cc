// FileSystem: the peerstore.* virtual extended attributes, which tell how safe a file or a
// directory tree is (docs/health.md):
//   peerstore.replicas   the fewest copies the ring holds of any block reading it needs;
//   peerstore.pending    the bytes of those blocks still waiting for upload;
//   peerstore.conflicts  the conflict copies of files at or below it that still exist.
// Values are decimal text. Never listed, so cp -a and rsync -X do not copy them.
#include <unordered_set>

#include "fs/chunk_tree.h"
#include "fs/file_system.h"

namespace peerstore {
namespace {

constexpr std::string_view kPrefix = "peerstore.";
constexpr std::string_view kReplicas = "peerstore.replicas";
constexpr std::string_view kPending = "peerstore.pending";
constexpr std::string_view kConflicts = "peerstore.conflicts";
// A tree this large is answered with E2BIG rather than with a walk and a ring query of it all.
constexpr size_t kMaxBlocks = size_t(1) << 20;

}  // namespace

bool FileSystem::is_health_xattr(std::string_view name) {
  return name.starts_with(kPrefix);
}

int FileSystem::health_xattr(uint64_t ino, std::string_view name, std::string* value) {
  if (!opts_.health || (name != kReplicas && name != kPending && name != kConflicts))
    return ENODATA;
  if (!value) return 0;  // a size query
  if (name == kConflicts) {
    auto n = conflicts_under(ino);
    if (!n) return err(n.error(), "getxattr peerstore.conflicts");
    *value = std::to_string(*n);
    return 0;
  }
  // What was written and not committed is in no block yet: commit first, as sync(1) would, so
  // that the answer covers everything written before the question.
  if (int e = commit()) return e;
  std::vector<BlockId> ids;
  if (Status st = blocks_under(ino, &ids); !st)
    return st.code() == Errc::too_big ? E2BIG : err(st.error(), "getxattr");
  if (name == kPending) {
    *value = std::to_string(opts_.health->pending_bytes(ids));
    return 0;
  }
  auto copies = opts_.health->fewest_copies(ids);
  // The ring did not answer in time: ask again later.
  if (!copies)
    return copies.code() == Errc::timeout || copies.code() == Errc::unavailable
               ? EAGAIN
               : err(copies.error(), "getxattr peerstore.replicas");
  *value = std::to_string(*copies);
  return 0;
}

Status FileSystem::blocks_under(uint64_t ino, std::vector<BlockId>* ids) {
  InodeRecord top;
  std::optional<Head> head;
  std::optional<BlockPtr> table;
  {
    // A commit or a sync moves the volume's head under commit_serial_ alone (taken before mu_).
    std::lock_guard serial(commit_serial_);
    std::lock_guard lock(mu_);
    PS_ASSIGN(Node * n, node(ino));
    top = n->rec;
    head = volume_->head();
    table = volume_->table_root();
  }
  // Committed blocks are immutable: the walk needs no lock.
  BlockIo& io = volume_->io();
  auto add = [&](const BlockPtr& p) {
    ids->push_back(p.id);
    return true;
  };
  auto no_entries = [](uint64_t, ByteView, ByteView) -> Status { return {}; };
  if (head) {
    ids->push_back(head->hash());  // a head is stored as a block under its hash too
    PS_ASSIGN(BlockPtr root, head->open_root(volume_->keys().read_key));
    ids->push_back(root.id);
  }
  if (!table) return {};
  PS_TRY(TrieMap::walk(io, *table, add, no_entries));
  TrieMap records(io, *table);
  std::vector<InodeRecord> todo{top};
  std::unordered_set<uint64_t> seen{top.ino};
  while (!todo.empty()) {
    InodeRecord rec = std::move(todo.back());
    todo.pop_back();
    if (rec.root && rec.is_file()) {
      PS_TRY(ChunkTree::walk(io, rec.root, rec.depth, add,
                             [&](const BlockPtr& chunk) { ids->push_back(chunk.id); }));
    } else if (rec.root && rec.is_dir()) {
      PS_TRY(TrieMap::walk(io, *rec.root, add, no_entries));
      std::vector<uint64_t> children;
      TrieMap dir(io, *rec.root);
      PS_TRY(dir_scan(dir, 0, [&](uint64_t, std::string_view, const DirEntry& e) {
        if (seen.insert(e.ino).second) children.push_back(e.ino);
        return true;
      }));
      for (uint64_t child : children) {
        PS_ASSIGN(auto value, records.get(child, NodeTable::key_of(child)));
        if (!value)
          return fail(Errc::corrupt, "a directory names inode " + std::to_string(child) +
                                         ", which the inode table lacks");
        PS_ASSIGN(InodeRecord r, InodeRecord::decode(*value));
        todo.push_back(std::move(r));
      }
    }
    if (ids->size() > kMaxBlocks)
      return fail(Errc::too_big, "more than " + std::to_string(kMaxBlocks) + " blocks");
  }
  return {};
}

Result<uint64_t> FileSystem::conflicts_under(uint64_t ino) {
  std::vector<ConflictRecord> records = opts_.health->conflicts();
  std::lock_guard lock(mu_);
  PS_ASSIGN(Node * n, node(ino));
  bool dir = n->rec.is_dir();
  PS_ASSIGN(std::string path, path_of(ino));  // "" for the root
  uint64_t count = 0;
  for (const ConflictRecord& r : records) {
    bool under = dir ? r.path.starts_with(path + "/") : r.path == path;
    if (!under) continue;
    PS_ASSIGN(bool exists, path_exists(r.copy));
    count += exists;
  }
  return count;
}

Result<bool> FileSystem::path_exists(std::string_view path) {
  uint64_t ino = NodeTable::kRootIno;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = std::min(path.find('/', i), path.size());
    auto d = dir_node(ino);
    if (!d && d.code() == Errc::invalid) return false;  // a file where the path needs a directory
    if (!d) return d.error();
    PS_ASSIGN(auto e, dir_lookup(*(*d)->dir, path.substr(i, j - i)));
    if (!e) return false;
    ino = e->ino;
    i = j;
  }
  return true;
}

}  // namespace peerstore
