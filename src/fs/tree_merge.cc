// The merge runs in four passes over what either side changed (diffs of the inode tables
// against the base, which skip every subtree all three share):
//   1. records: each changed inode three-way (merge_fields), delete against modify keeps it;
//   2. directories: each changed directory's entries three-way, as an overlay on the base
//      directory (name -> entry or removed); a name both sides bound differently keeps the
//      winner's and gives the loser's a conflict name;
//   3. content conflicts: the loser's version of a file both sides rewrote becomes a new inode
//      beside the winner's under a conflict name;
//   4. links: recounted from the overlay; an inode kept alive without a name is linked back
//      where it was, a directory with two names keeps one, a move that closed a cycle goes to
//      the root.
// Then the overlays and records are applied to the base tries in sorted order, so the blocks
// written depend only on the three versions.
#include "fs/tree_merge.h"

#include <dirent.h>
#include <sodium.h>

#include <map>
#include <set>

#include "fs/directory.h"
#include "fs/file_content.h"
#include "fs/node_table.h"
#include "fs/record_merge.h"
#include "fs/trie_map.h"

namespace peerstore {
namespace {

using Rec = std::optional<InodeRecord>;
using Entry = std::optional<DirEntry>;
constexpr uint64_t kRoot = NodeTable::kRootIno;
constexpr int kMaxFixRounds = 16;
constexpr int kMaxDepthWalk = 1 << 16;

struct NameKey {
  uint64_t pos;
  std::string name;
  auto operator<=>(const NameKey&) const = default;
};
NameKey key_of(std::string_view name) {
  return {name_pos(name), std::string(name)};
}

Result<DirEntry> decode_entry(const Bytes& v) {
  if (v.size() != 9) return fail(Errc::corrupt, "directory entry of wrong size");
  return DirEntry{get_u64be(v.data()), v[8]};
}

Result<Rec> decode_rec(uint64_t ino, const Bytes* v) {
  if (!v) return Rec();
  PS_ASSIGN(auto r, InodeRecord::decode(*v));
  if (r.ino != ino) return fail(Errc::corrupt, "inode table entry names another inode");
  return Rec(std::move(r));
}

bool same(const Rec& a, const Rec& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || a->encode() == b->encode();
}

uint8_t dtype_of(uint32_t mode) {
  return uint8_t((mode & S_IFMT) >> 12);
}

class Merger {
 public:
  Merger(BlockIo& io, const std::optional<BlockPtr>& base, const MergeSide& w, const MergeSide& l)
      : io_(io),
        base_(base),
        w_(w),
        l_(l),
        base_table_(base ? std::make_unique<TrieMap>(io, *base) : std::make_unique<TrieMap>(io)) {}

  Result<MergeOutcome> run() {
    PS_TRY(diff_table(w_.table, w_recs_));
    PS_TRY(diff_table(l_.table, l_recs_));
    PS_TRY(merge_records());
    PS_TRY(merge_dirs());
    PS_TRY(make_copies());
    PS_TRY(fix_links());
    return build();
  }

 private:
  Status diff_table(const std::optional<BlockPtr>& side, std::map<uint64_t, Rec>& out) {
    return TrieMap::diff(io_, base_, side,
                         [&](uint64_t pos, ByteView, const Bytes* a, const Bytes* b) -> Status {
                           PS_ASSIGN(auto br, decode_rec(pos, a));
                           PS_ASSIGN(auto sr, decode_rec(pos, b));
                           base_recs_[pos] = std::move(br);
                           out[pos] = std::move(sr);
                           return {};
                         });
  }

  Result<Rec> base_rec(uint64_t ino) {
    if (auto it = base_recs_.find(ino); it != base_recs_.end()) return it->second;
    Bytes k(8);
    put_u64be(k.data(), ino);
    PS_ASSIGN(auto v, base_table_->get(ino, k));
    PS_ASSIGN(auto r, decode_rec(ino, v ? &*v : nullptr));
    base_recs_[ino] = r;
    return r;
  }
  // The merged view of a record.
  Result<Rec> rec(uint64_t ino) {
    if (auto it = merged_.find(ino); it != merged_.end()) return it->second;
    return base_rec(ino);
  }
  Result<InodeRecord*> merged_rec(uint64_t ino) {
    if (!merged_.count(ino)) {
      PS_ASSIGN(auto r, base_rec(ino));
      merged_[ino] = r;
    }
    auto& r = merged_[ino];
    if (!r) return fail(Errc::corrupt, "merge: inode " + std::to_string(ino) + " is gone");
    return &*r;
  }

  // 1. Records.
  Status merge_records() {
    std::set<uint64_t> inos;
    for (auto& [i, r] : w_recs_) inos.insert(i);
    for (auto& [i, r] : l_recs_) inos.insert(i);
    for (uint64_t ino : inos) {
      const Rec& b = base_recs_[ino];
      bool in_w = w_recs_.count(ino), in_l = l_recs_.count(ino);
      const Rec& w = in_w ? w_recs_[ino] : b;
      const Rec& l = in_l ? l_recs_[ino] : b;
      if (!in_l || same(w, l)) {
        merged_[ino] = w;
      } else if (!in_w) {
        merged_[ino] = l;
      } else if (!w || !l) {
        merged_[ino] = w ? w : l;  // a delete against a change keeps the change
        if (b) kept_[ino] = w ? &w_ : &l_;
      } else {
        InodeRecord r = merge_fields(b ? *b : *w, *w, *l);
        if (!w->is_dir() && b && !same_content(*w, *b) && !same_content(*l, *b) &&
            !same_content(*w, *l)) {
          // Both rewrote it: edits of a text file in different places merge line by line;
          // anything else keeps both versions (r has the winner's content).
          PS_ASSIGN(bool merged, merge_text_content(io_, *b, *w, *l, r));
          if (!merged) copies_.push_back(ino);
        }
        merged_[ino] = std::move(r);
      }
    }
    return {};
  }

  // 2. Directory entries.
  Status entry_diff(const std::optional<BlockPtr>& from, const std::optional<BlockPtr>& to,
                    std::map<NameKey, std::pair<Entry, Entry>>& out) {
    return TrieMap::diff(io_, from, to,
                         [&](uint64_t pos, ByteView key, const Bytes* a, const Bytes* b) -> Status {
                           Entry ea, eb;
                           if (a) {
                             PS_ASSIGN(ea, decode_entry(*a));
                           }
                           if (b) {
                             PS_ASSIGN(eb, decode_entry(*b));
                           }
                           out[NameKey{pos, std::string(as_chars(key))}] = {ea, eb};
                           return {};
                         });
  }

  static std::optional<BlockPtr> dir_root(const Rec& r) {
    return r && r->is_dir() ? r->root : std::nullopt;
  }

  Status merge_dirs() {
    for (auto& entry : merged_) {
      const uint64_t ino = entry.first;  // not a structured binding: lambdas capture it
      const Rec& b = base_recs_[ino];
      auto side = [&](std::map<uint64_t, Rec>& recs) {
        auto it = recs.find(ino);
        return it == recs.end() ? dir_root(b) : dir_root(it->second);
      };
      std::optional<BlockPtr> bd = dir_root(b), wd = side(w_recs_), ld = side(l_recs_);
      if (wd == bd && ld == bd) continue;
      std::map<NameKey, std::pair<Entry, Entry>> dw, dl;
      PS_TRY(entry_diff(bd, wd, dw));
      PS_TRY(entry_diff(bd, ld, dl));
      std::set<NameKey> keys;
      for (auto& [k, v] : dw) keys.insert(k);
      for (auto& [k, v] : dl) keys.insert(k);
      auto& over = overlay_[ino];
      for (auto& k : keys) {
        auto iw = dw.find(k), il = dl.find(k);
        Entry base_e = iw != dw.end() ? iw->second.first : il->second.first;
        Entry we = iw != dw.end() ? iw->second.second : base_e;
        Entry le = il != dl.end() ? il->second.second : base_e;
        if (il == dl.end() || we == le) {
          over[k] = we;  // changed here only, or the same way on both sides
        } else if (iw == dw.end() || !we) {
          over[k] = le;  // changed there only, or removed here and rebound there
        } else if (!le) {
          over[k] = we;  // removed there and rebound here
        } else {         // both bound the name to different inodes: both stay
          over[k] = we;
          pending_names_.push_back({ino, k.name, *le});
        }
      }
    }
    // Loser bindings get their conflict names once every directory's overlay is known.
    for (auto& p : pending_names_) {
      PS_ASSIGN(auto name, free_name(p.dir, p.name, l_.device, l_.time_ns));
      overlay_[p.dir][key_of(name)] = p.entry;
      conflicts_.push_back({p.dir, p.name, name, w_.device, l_.device});
    }
    return {};
  }

  Result<TrieMap*> base_dir(uint64_t d) {
    auto it = base_dirs_.find(d);
    if (it != base_dirs_.end()) return it->second.get();
    PS_ASSIGN(auto b, base_rec(d));
    auto root = dir_root(b);
    auto t = root ? std::make_unique<TrieMap>(io_, *root) : std::make_unique<TrieMap>(io_);
    TrieMap* p = t.get();
    base_dirs_.emplace(d, std::move(t));
    return p;
  }
  Result<Entry> base_entry(uint64_t d, const NameKey& k) {
    PS_ASSIGN(TrieMap * t, base_dir(d));
    PS_ASSIGN(auto v, t->get(k.pos, as_bytes(k.name)));
    if (!v) return Entry();
    PS_ASSIGN(auto e, decode_entry(*v));
    return Entry(e);
  }
  // The merged view of an entry.
  Result<Entry> entry(uint64_t d, const NameKey& k) {
    if (auto o = overlay_.find(d); o != overlay_.end())
      if (auto it = o->second.find(k); it != o->second.end()) return it->second;
    return base_entry(d, k);
  }
  Result<std::string> free_name(uint64_t d, std::string_view name, std::string_view device,
                                int64_t time_ns) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      std::string n = conflict_name(name, device, time_ns, attempt);
      PS_ASSIGN(auto e, entry(d, key_of(n)));
      if (!e) return n;
    }
    return fail(Errc::exists, "merge: no free conflict name for " + std::string(name));
  }
  // Binds `name` (or a conflict name if taken) in `d` to `e`; returns the name used.
  Result<std::string> bind(uint64_t d, const std::string& name, const DirEntry& e,
                           const MergeSide& side) {
    PS_ASSIGN(auto cur, entry(d, key_of(name)));
    std::string n = name;
    if (cur && cur->ino != e.ino) {
      PS_ASSIGN(n, free_name(d, name, side.device, side.time_ns));
    }
    overlay_[d][key_of(n)] = e;
    return n;
  }

  // 3. Content conflicts: the loser's version as a new inode.
  Result<uint64_t> copy_ino(uint64_t ino) {
    for (uint32_t attempt = 0;; ++attempt) {
      uint8_t in[8 + 32 + 4], out[8];
      put_u64be(in, ino);
      std::copy(l_.head.b.begin(), l_.head.b.end(), in + 8);
      in[40] = uint8_t(attempt >> 24), in[41] = uint8_t(attempt >> 16);
      in[42] = uint8_t(attempt >> 8), in[43] = uint8_t(attempt);
      crypto_generichash(out, sizeof out, in, sizeof in, nullptr, 0);
      // Below 2^63 like every inode number (NodeTable::create): MountTree gives the numbers
      // above to the inodes of linked volumes.
      uint64_t c = get_u64be(out) & ((uint64_t(1) << 63) - 1);
      if (c <= kRoot) continue;
      PS_ASSIGN(auto existing, rec(c));
      if (!existing) return c;
    }
  }
  // A name of `ino` in the merged tree: looked for in its parent hint first.
  Result<std::optional<std::pair<uint64_t, std::string>>> name_of(uint64_t ino) {
    using Found = std::optional<std::pair<uint64_t, std::string>>;
    for (auto& [d, over] : overlay_)
      for (auto& [k, e] : over)
        if (e && e->ino == ino) return Found({d, k.name});
    PS_ASSIGN(auto r, rec(ino));
    if (!r) return Found();
    PS_ASSIGN(auto p, rec(r->parent));
    if (!p || !p->is_dir()) return Found();
    PS_ASSIGN(TrieMap * t, base_dir(r->parent));
    Found found;
    Status inner;
    PS_TRY(dir_scan(*t, 0, [&](uint64_t, std::string_view name, const DirEntry& e) {
      if (e.ino != ino) return true;
      auto cur = entry(r->parent, key_of(name));
      if (!cur) {
        inner = cur.error();
        return false;
      }
      if (*cur && (*cur)->ino == ino) {
        found = std::make_pair(r->parent, std::string(name));
        return false;
      }
      return true;
    }));
    PS_TRY(inner);
    return found;
  }

  Status make_copies() {
    for (uint64_t ino : copies_) {
      PS_ASSIGN(uint64_t c, copy_ino(ino));
      InodeRecord copy = *l_recs_[ino];
      copy.ino = c;
      copy.nlink = 0;  // recounted from the entries
      PS_ASSIGN(auto where, name_of(ino));
      if (!where) where = std::make_pair(kRoot, "conflict-" + std::to_string(ino));
      PS_ASSIGN(auto name, free_name(where->first, where->second, l_.device, l_.time_ns));
      copy.parent = where->first;
      overlay_[where->first][key_of(name)] = DirEntry{c, dtype_of(copy.mode)};
      merged_[c] = std::move(copy);
      conflicts_.push_back({where->first, where->second, name, w_.device, l_.device});
    }
    return {};
  }

  // 4. Links.
  struct Counts {
    std::map<uint64_t, int64_t> names;  // change in names per inode
    std::map<uint64_t, std::vector<std::pair<uint64_t, NameKey>>> added, removed;
  };
  Result<Counts> count() {
    Counts c;
    for (auto& [d, over] : overlay_)
      for (auto& [k, e] : over) {
        PS_ASSIGN(auto b, base_entry(d, k));
        if (b == e) continue;
        if (b) {
          --c.names[b->ino];
          c.removed[b->ino].push_back({d, k});
        }
        if (e) {
          ++c.names[e->ino];
          c.added[e->ino].push_back({d, k});
        }
      }
    return c;
  }
  Result<int64_t> base_names(uint64_t ino) {
    PS_ASSIGN(auto b, base_rec(ino));
    if (!b) return 0;
    if (b->is_dir()) return ino == kRoot ? 0 : 1;
    return b->nlink;
  }
  Result<bool> wanted(uint64_t ino) {
    if (kept_.count(ino)) return true;
    PS_ASSIGN(auto b, base_rec(ino));
    if (!b) return true;  // new on a side
    for (auto* recs : {&w_recs_, &l_recs_}) {
      auto it = recs->find(ino);
      if (it != recs->end() && it->second && !same_content(*it->second, *b)) return true;
    }
    return false;
  }
  const MergeSide& keeper(uint64_t ino) {
    auto it = kept_.find(ino);
    return it == kept_.end() ? l_ : *it->second;
  }

  // One round of repairs; true if it changed anything.
  Result<bool> fix_round() {
    PS_ASSIGN(Counts c, count());
    std::set<uint64_t> inos;
    for (auto& [i, n] : c.names) inos.insert(i);
    for (auto& [i, r] : merged_) inos.insert(i);
    for (uint64_t ino : inos) {
      if (ino == kRoot) continue;
      PS_ASSIGN(auto r, rec(ino));
      PS_ASSIGN(int64_t base, base_names(ino));
      int64_t names = base + c.names[ino];
      if (!r) {  // gone: no entry may name it
        for (auto& [d, k] : c.added[ino]) overlay_[d][k] = std::nullopt;
        if (!c.added[ino].empty()) return true;
        continue;
      }
      if (names <= 0) {
        PS_ASSIGN(bool keep, wanted(ino));
        if (!keep) {
          merged_[ino] = std::nullopt;
          return true;
        }
        PS_TRY(relink(ino, *r, c.removed[ino]));
        return true;
      }
      if (r->is_dir() && names > 1) {
        PS_TRY(one_name(ino, c));
        return true;
      }
    }
    // Cycles: a directory moved under itself (here `mv a b/`, there `mv b a/`).
    for (auto& [ino, adds] : c.added) {
      PS_ASSIGN(auto r, rec(ino));
      if (!r || !r->is_dir()) continue;
      // Up from its new place: back to itself is a cycle through it. A cycle it is only below
      // is left to that cycle's own members.
      uint64_t cur = adds.front().first;
      bool cycle = false;
      std::set<uint64_t> seen;
      while (cur != kRoot && seen.insert(cur).second && int(seen.size()) < kMaxDepthWalk) {
        PS_ASSIGN(auto p, rec(cur));
        if (cur == ino || !p) {
          cycle = cur == ino;
          break;
        }
        cur = p->parent;
      }
      if (!cycle) continue;
      auto [d, k] = adds.front();
      overlay_[d][k] = std::nullopt;
      PS_TRY(bind(kRoot, k.name, DirEntry{ino, dtype_of(r->mode)}, keeper(ino)));
      PS_ASSIGN(InodeRecord * m, merged_rec(ino));
      m->parent = kRoot;
      return true;
    }
    return false;
  }

  // An inode kept alive (changed on one side, deleted on the other) gets its old name back.
  Status relink(uint64_t ino, const InodeRecord& r,
                const std::vector<std::pair<uint64_t, NameKey>>& removed) {
    for (auto& [d, k] : removed) {
      PS_ASSIGN(auto dr, rec(d));
      if (!dr) {  // its directory went too: bring that back first, empty of what went
        PS_ASSIGN(auto from_w, side_rec(w_recs_, d));
        PS_ASSIGN(auto from_l, side_rec(l_recs_, d));
        PS_ASSIGN(auto from_b, base_rec(d));
        merged_[d] = from_w ? from_w : from_l ? from_l : from_b;
        if (!merged_[d]) continue;
        kept_[d] = &keeper(ino);
      }
      PS_ASSIGN(auto name, bind(d, k.name, DirEntry{ino, dtype_of(r.mode)}, keeper(ino)));
      (void)name;
      if (r.is_dir()) {
        PS_ASSIGN(InodeRecord * m, merged_rec(ino));
        m->parent = d;
      }
      return {};
    }
    PS_TRY(
        bind(kRoot, "orphan-" + std::to_string(ino), DirEntry{ino, dtype_of(r.mode)}, keeper(ino)));
    PS_ASSIGN(InodeRecord * m, merged_rec(ino));
    m->parent = kRoot;
    return {};
  }
  Result<Rec> side_rec(std::map<uint64_t, Rec>& recs, uint64_t ino) {
    auto it = recs.find(ino);
    if (it != recs.end()) return it->second;
    return base_rec(ino);
  }

  // A directory both sides moved to different places keeps the name in its merged parent.
  Status one_name(uint64_t ino, const Counts& c) {
    PS_ASSIGN(InodeRecord * m, merged_rec(ino));
    auto& adds = c.added.at(ino);
    auto keep = adds.front();
    for (auto& a : adds)
      if (a.first == m->parent) {
        keep = a;
        break;
      }
    for (auto& a : adds)
      if (a != keep) overlay_[a.first][a.second] = std::nullopt;
    // A base name that no side removed goes too: the directory moved.
    PS_ASSIGN(auto b, base_rec(ino));
    if (b && c.names.at(ino) + 1 > int64_t(adds.size())) {
      PS_ASSIGN(auto old, name_in_base(ino, b->parent));
      if (old) overlay_[b->parent][*old] = std::nullopt;
    }
    m->parent = keep.first;
    return {};
  }
  Result<std::optional<NameKey>> name_in_base(uint64_t ino, uint64_t d) {
    PS_ASSIGN(TrieMap * t, base_dir(d));
    std::optional<NameKey> found;
    PS_TRY(dir_scan(*t, 0, [&](uint64_t, std::string_view name, const DirEntry& e) {
      if (e.ino == ino) found = key_of(name);
      return !found;
    }));
    return found;
  }

  Status fix_links() {
    int rounds = 0;
    for (;;) {
      PS_ASSIGN(bool changed, fix_round());
      if (!changed) break;
      if (++rounds > kMaxFixRounds * int(merged_.size() + 1))
        return fail(Errc::corrupt, "merge: links do not settle");
    }
    // Link counts and directory sizes from the final overlay.
    PS_ASSIGN(Counts c, count());
    for (auto& [ino, n] : c.names) {
      PS_ASSIGN(auto r, rec(ino));
      if (!r || r->is_dir()) continue;
      PS_ASSIGN(int64_t base, base_names(ino));
      PS_ASSIGN(InodeRecord * m, merged_rec(ino));
      m->nlink = uint32_t(std::max<int64_t>(1, base + n));
    }
    for (auto& [d, over] : overlay_) {
      PS_ASSIGN(auto r, rec(d));
      if (!r) continue;
      PS_ASSIGN(auto b, base_rec(d));
      int64_t entries = b && b->is_dir() ? int64_t(b->entries) : 0;
      int64_t nlink = b && b->is_dir() ? int64_t(b->nlink) : 2;
      for (auto& [k, e] : over) {
        PS_ASSIGN(auto be, base_entry(d, k));
        if (be == e) continue;
        if (be) {
          --entries;
          nlink -= be->type == DT_DIR;
        }
        if (e) {
          ++entries;
          nlink += e->type == DT_DIR;
        }
      }
      PS_ASSIGN(InodeRecord * m, merged_rec(d));
      m->entries = uint64_t(std::max<int64_t>(0, entries));
      m->nlink = uint32_t(std::max<int64_t>(2, nlink));
    }
    return {};
  }

  Result<MergeOutcome> build() {
    for (auto& [d, over] : overlay_) {
      auto it = merged_.find(d);
      if (it == merged_.end() || !it->second) continue;
      PS_ASSIGN(auto b, base_rec(d));
      auto root = dir_root(b);
      auto t = root ? std::make_unique<TrieMap>(io_, *root) : std::make_unique<TrieMap>(io_);
      for (auto& [k, e] : over) {
        if (e)
          PS_TRY(dir_insert(*t, k.name, *e));
        else
          PS_TRY(dir_remove(*t, k.name));
      }
      PS_ASSIGN(it->second->root, t->flush());
    }
    for (auto& [ino, r] : merged_) {
      Bytes k(8);
      put_u64be(k.data(), ino);
      if (r)
        PS_TRY(base_table_->put(ino, k, r->encode()));
      else
        PS_TRY(base_table_->erase(ino, k));
    }
    MergeOutcome out;
    PS_ASSIGN(out.table, base_table_->flush());
    out.conflicts = std::move(conflicts_);
    return out;
  }

  struct PendingName {
    uint64_t dir;
    std::string name;
    DirEntry entry;
  };
  BlockIo& io_;
  std::optional<BlockPtr> base_;
  const MergeSide& w_;
  const MergeSide& l_;
  std::unique_ptr<TrieMap> base_table_;
  std::map<uint64_t, Rec> base_recs_, w_recs_, l_recs_, merged_;
  std::map<uint64_t, std::map<NameKey, Entry>> overlay_;
  std::map<uint64_t, const MergeSide*> kept_;  // kept by a change against a delete, and by whom
  std::vector<uint64_t> copies_;
  std::vector<PendingName> pending_names_;
  std::map<uint64_t, std::unique_ptr<TrieMap>> base_dirs_;
  std::vector<MergeConflict> conflicts_;
};

}  // namespace

Result<MergeOutcome> merge_trees(BlockIo& io, const std::optional<BlockPtr>& base,
                                 const MergeSide& a, const MergeSide& b) {
  bool a_wins = a.time_ns != b.time_ns ? a.time_ns > b.time_ns : b.head < a.head;
  const MergeSide& w = a_wins ? a : b;
  const MergeSide& l = a_wins ? b : a;
  if (w.table == l.table) return MergeOutcome{w.table, {}};
  if (base == l.table) return MergeOutcome{w.table, {}};
  if (base == w.table) return MergeOutcome{l.table, {}};
  Merger m(io, base, w, l);
  return m.run();
}

}  // namespace peerstore
