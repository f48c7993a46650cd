// TrieMap::diff: the entries two maps disagree on, found by walking both trees together and
// skipping every subtree they share.
#include "fs/trie_map.h"

namespace peerstore {

Status TrieMap::collect(Node& n, std::vector<Entry>& out) {
  PS_TRY(load(n));
  if (n.leaf) {
    out.insert(out.end(), n.entries.begin(), n.entries.end());
    return {};
  }
  for (auto& kid : n.kids)
    if (kid) PS_TRY(collect(*kid, out));
  return {};
}

Status TrieMap::diff_nodes(TrieMap& ta, Node* a, TrieMap& tb, Node* b, int depth,
                           const DiffVisitor& fn) {
  if (!a && !b) return {};
  if (a && b && a->ptr && b->ptr && *a->ptr == *b->ptr) return {};
  if (a) PS_TRY(ta.load(*a));
  if (b) PS_TRY(tb.load(*b));
  bool a_branch = a && !a->leaf, b_branch = b && !b->leaf;
  if ((a_branch || !a) && (b_branch || !b)) {
    // Both branches (or one missing): pair the children slot by slot.
    for (int i = 0; i < 256; ++i)
      PS_TRY(diff_nodes(ta, a ? a->kids[i].get() : nullptr, tb, b ? b->kids[i].get() : nullptr,
                        depth + 1, fn));
    return {};
  }
  // A leaf on at least one side: compare the sorted entries of both subtrees. A leaf holds at
  // most kMaxLeafBytes, so the other side is about that large unless the maps truly differ.
  std::vector<Entry> ea, eb;
  if (a) PS_TRY(ta.collect(*a, ea));
  if (b) PS_TRY(tb.collect(*b, eb));
  size_t i = 0, j = 0;
  auto less = [](const Entry& x, const Entry& y) {
    if (x.pos != y.pos) return x.pos < y.pos;
    return std::lexicographical_compare(x.key.begin(), x.key.end(), y.key.begin(), y.key.end());
  };
  while (i < ea.size() || j < eb.size()) {
    if (j >= eb.size() || (i < ea.size() && less(ea[i], eb[j]))) {
      PS_TRY(fn(ea[i].pos, ea[i].key, &ea[i].value, nullptr));
      ++i;
    } else if (i >= ea.size() || less(eb[j], ea[i])) {
      PS_TRY(fn(eb[j].pos, eb[j].key, nullptr, &eb[j].value));
      ++j;
    } else {
      if (ea[i].value != eb[j].value) PS_TRY(fn(ea[i].pos, ea[i].key, &ea[i].value, &eb[j].value));
      ++i;
      ++j;
    }
  }
  return {};
}

Status TrieMap::diff(BlockIo& io, const std::optional<BlockPtr>& a,
                     const std::optional<BlockPtr>& b, const DiffVisitor& fn) {
  if (a == b) return {};
  std::unique_ptr<TrieMap> ta =
      a ? std::make_unique<TrieMap>(io, *a) : std::make_unique<TrieMap>(io);
  std::unique_ptr<TrieMap> tb =
      b ? std::make_unique<TrieMap>(io, *b) : std::make_unique<TrieMap>(io);
  return diff_nodes(*ta, ta->root_.get(), *tb, tb->root_.get(), 0, fn);
}

}  // namespace peerstore
