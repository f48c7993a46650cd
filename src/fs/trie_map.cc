#include "fs/trie_map.h"

#include <algorithm>

#include "fs/ptr_codec.h"

namespace peerstore {
namespace {

constexpr size_t kEntryOverhead = 24;
// A leaf splits long before this; only entries of one full 64-bit position (hash collisions)
// stay together past kMaxDepth.
constexpr size_t kMaxLeafEntries = 1 << 16;

bool entry_less(uint64_t pa, ByteView ka, uint64_t pb, ByteView kb) {
  if (pa != pb) return pa < pb;
  return std::lexicographical_compare(ka.begin(), ka.end(), kb.begin(), kb.end());
}

}  // namespace

TrieMap::TrieMap(BlockIo& io) : io_(io), root_(std::make_unique<Node>()) {
  root_->loaded = true;
}

TrieMap::TrieMap(BlockIo& io, const BlockPtr& root) : io_(io), root_(std::make_unique<Node>()) {
  root_->ptr = root;
}

TrieMap::~TrieMap() = default;

bool TrieMap::dirty() const {
  return !root_->ptr.has_value() && (root_->loaded);
}

Status TrieMap::load(Node& n) {
  if (n.loaded) return {};
  PS_ASSIGN(Bytes plain, io_.read(*n.ptr));
  // Sized for a node: the parser allocates for an array's length before reading it.
  const mp::Limits lim{
      .array = kMaxLeafEntries, .map = 0, .str = 0, .bin = kMaxBlockSize, .depth = 3};
  PS_ASSIGN(auto oh, mp::unpack(plain, lim));
  PS_ASSIGN(auto top, mp::get_array(oh.get(), 2, 2));
  PS_ASSIGN(auto kind, mp::get_u64(top[0]));
  if (kind == 0) {
    PS_ASSIGN(auto list, mp::get_array(top[1], 0, kMaxLeafEntries));
    n.entries.reserve(list.size());
    for (auto& o : list) {
      PS_ASSIGN(auto e, mp::get_array(o, 3, 3));
      PS_ASSIGN(auto pos, mp::get_u64(e[0]));
      PS_ASSIGN(auto key, mp::get_bin(e[1]));
      PS_ASSIGN(auto value, mp::get_bin(e[2]));
      if (!n.entries.empty() && !entry_less(n.entries.back().pos, n.entries.back().key, pos, key))
        return fail(Errc::corrupt, "trie leaf not sorted");
      n.entries.push_back({pos, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
      n.bytes += key.size() + value.size() + kEntryOverhead;
    }
    n.leaf = true;
  } else if (kind == 1) {
    PS_ASSIGN(auto kids, mp::get_array(top[1], 256, 256));
    for (int i = 0; i < 256; ++i) {
      PS_ASSIGN(auto p, get_ptr(kids[i]));
      if (!p) continue;
      n.kids[i] = std::make_unique<Node>();
      n.kids[i]->ptr = p;
    }
    n.leaf = false;
  } else {
    return fail(Errc::corrupt, "trie node of unknown kind");
  }
  n.loaded = true;
  return {};
}

Result<std::optional<Bytes>> TrieMap::get(uint64_t pos, ByteView key) {
  Node* n = root_.get();
  for (int depth = 0;; ++depth) {
    PS_TRY(load(*n));
    if (n->leaf) break;
    n = n->kids[slot(pos, depth)].get();
    if (!n) return std::optional<Bytes>();
  }
  auto it = std::lower_bound(n->entries.begin(), n->entries.end(), 0, [&](const Entry& e, int) {
    return entry_less(e.pos, e.key, pos, key);
  });
  if (it != n->entries.end() && it->pos == pos &&
      std::equal(key.begin(), key.end(), it->key.begin(), it->key.end()))
    return std::optional<Bytes>(it->value);
  return std::optional<Bytes>();
}

Status TrieMap::split(Node& n, int depth) {
  if (depth >= kMaxDepth || n.entries.size() < 2) return {};  // full-hash collisions stay put
  std::vector<Entry> entries = std::move(n.entries);
  n.entries.clear();
  n.bytes = 0;
  n.leaf = false;
  for (auto& e : entries) {
    auto& kid = n.kids[slot(e.pos, depth)];
    if (!kid) {
      kid = std::make_unique<Node>();
      kid->loaded = true;
    }
    kid->bytes += e.key.size() + e.value.size() + kEntryOverhead;
    kid->entries.push_back(std::move(e));  // stays sorted
  }
  for (auto& kid : n.kids)
    if (kid && kid->bytes > kMaxLeafBytes) PS_TRY(split(*kid, depth + 1));
  return {};
}

Status TrieMap::put(uint64_t pos, ByteView key, ByteView value) {
  Node* n = root_.get();
  int depth = 0;
  for (;; ++depth) {
    PS_TRY(load(*n));
    n->ptr.reset();
    if (n->leaf) break;
    auto& kid = n->kids[slot(pos, depth)];
    if (!kid) {
      kid = std::make_unique<Node>();
      kid->loaded = true;
    }
    n = kid.get();
  }
  auto it = std::lower_bound(n->entries.begin(), n->entries.end(), 0, [&](const Entry& e, int) {
    return entry_less(e.pos, e.key, pos, key);
  });
  if (it != n->entries.end() && it->pos == pos &&
      std::equal(key.begin(), key.end(), it->key.begin(), it->key.end())) {
    n->bytes += value.size();
    n->bytes -= it->value.size();
    it->value.assign(value.begin(), value.end());
  } else {
    n->entries.insert(it,
                      Entry{pos, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
    n->bytes += key.size() + value.size() + kEntryOverhead;
  }
  if (n->bytes > kMaxLeafBytes) PS_TRY(split(*n, depth));
  return {};
}

Result<bool> TrieMap::erase(uint64_t pos, ByteView key) {
  // Find first so a miss dirties nothing.
  PS_ASSIGN(auto present, get(pos, key));
  if (!present) return false;
  Node* n = root_.get();
  for (int depth = 0;; ++depth) {
    n->ptr.reset();
    if (n->leaf) break;
    n = n->kids[slot(pos, depth)].get();
  }
  auto it = std::lower_bound(n->entries.begin(), n->entries.end(), 0, [&](const Entry& e, int) {
    return entry_less(e.pos, e.key, pos, key);
  });
  n->bytes -= it->key.size() + it->value.size() + kEntryOverhead;
  n->entries.erase(it);
  return true;
}

Status TrieMap::scan_node(Node& n, int depth, uint64_t from, const Visitor& fn, bool& stop) {
  PS_TRY(load(n));
  if (n.leaf) {
    for (auto& e : n.entries) {
      if (e.pos < from) continue;
      if (!fn(e.pos, e.key, e.value)) {
        stop = true;
        return {};
      }
    }
    return {};
  }
  // Children before `from`'s slot hold only smaller positions. Later slots start past it.
  int first = slot(from, depth);
  for (int i = first; i < 256 && !stop; ++i) {
    if (!n.kids[i]) continue;
    PS_TRY(scan_node(*n.kids[i], depth + 1, i == first ? from : 0, fn, stop));
  }
  return {};
}

Status TrieMap::scan(uint64_t from, const Visitor& fn) {
  bool stop = false;
  return scan_node(*root_, 0, from, fn, stop);
}

Status TrieMap::walk_node(Node& n, const std::function<bool(const BlockPtr& node)>& enter,
                          const WalkVisitor& fn) {
  PS_TRY(load(n));
  for (auto& e : n.entries) PS_TRY(fn(e.pos, e.key, e.value));
  for (auto& kid : n.kids) {
    if (!kid) continue;
    if (enter(*kid->ptr)) PS_TRY(walk_node(*kid, enter, fn));
    kid.reset();  // visited: keep only the path in memory
  }
  return {};
}

Status TrieMap::walk(BlockIo& io, const BlockPtr& root,
                     const std::function<bool(const BlockPtr& node)>& enter,
                     const WalkVisitor& fn) {
  if (!enter(root)) return {};
  TrieMap map(io, root);
  return map.walk_node(*map.root_, enter, fn);
}

Result<std::optional<BlockPtr>> TrieMap::flush_node(Node& n) {
  if (n.ptr) return std::optional<BlockPtr>(n.ptr);
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(2);
  if (n.leaf) {
    if (n.entries.empty()) return std::optional<BlockPtr>();
    pk.pack(uint32_t(0));
    pk.pack_array(uint32_t(n.entries.size()));
    for (auto& e : n.entries) {
      pk.pack_array(3);
      pk.pack(e.pos);
      mp::pack_bin(pk, e.key);
      mp::pack_bin(pk, e.value);
    }
  } else {
    std::array<std::optional<BlockPtr>, 256> kids;
    bool any = false;
    for (int i = 0; i < 256; ++i) {
      if (!n.kids[i]) continue;
      PS_ASSIGN(kids[i], flush_node(*n.kids[i]));
      if (!kids[i]) n.kids[i].reset();  // emptied subtree
      any = any || kids[i].has_value();
    }
    if (!any) {  // collapse to an empty leaf
      n.leaf = true;
      n.bytes = 0;
      return std::optional<BlockPtr>();
    }
    pk.pack(uint32_t(1));
    pk.pack_array(256);
    for (auto& k : kids) pack_ptr(pk, k);
  }
  PS_ASSIGN(BlockPtr p, io_.write(mp::view(buf)));
  n.ptr = p;
  return std::optional<BlockPtr>(p);
}

Result<std::optional<BlockPtr>> TrieMap::flush() {
  return flush_node(*root_);
}

}  // namespace peerstore
