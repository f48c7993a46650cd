#include "client/version_check.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include "fs/chunk_tree.h"
#include "fs/head_history.h"
#include "fs/inode_record.h"
#include "fs/trie_map.h"

namespace peerstore::client {
namespace {

// Reads each distinct block of the versions it is given once.
class Checker {
 public:
  Checker(Volume& volume, VersionsReport& report, const VersionsOptions& o)
      : volume_(volume), io_(volume.io()), rep_(report), o_(o) {}

  void check(const Head& head) {
    head_ = &head;
    auto root = head.open_root(volume_.keys().read_key);
    if (!root) return damage("root pointer: " + root.error().message());
    if (!enter(*root)) return;  // a version with this very tree was checked already
    auto table = volume_.table_of(head);
    if (!table) return damage("root block: " + table.error().message());
    if (!*table) return;  // an empty tree
    Status st = TrieMap::walk(
        io_, **table, [&](const BlockPtr& node) { return enter(node); },
        [&](uint64_t, ByteView, ByteView value) -> Status {
          auto rec = InodeRecord::decode(value);
          if (!rec) {
            damage("an inode record: " + rec.error().message());
            return {};
          }
          content(*rec);
          return {};
        });
    if (!st) damage("inode table: " + st.error().message());
  }

 private:
  // True the first time a tree node is seen: its subtree is walked then, and only then.
  bool enter(const BlockPtr& node) {
    if (!seen_.insert(node.id).second) return false;
    ++rep_.blocks;
    return true;
  }

  void content(const InodeRecord& rec) {
    if (!rec.root) return;
    std::string what = "inode " + std::to_string(rec.ino);
    Status st;
    if (rec.is_dir()) {
      st = TrieMap::walk(
          io_, *rec.root, [&](const BlockPtr& node) { return enter(node); },
          [](uint64_t, ByteView, ByteView) -> Status { return {}; });
    } else if (rec.is_file()) {
      st = ChunkTree::walk(
          io_, rec.root, rec.depth, [&](const BlockPtr& node) { return enter(node); },
          [&](const BlockPtr& chunk) {
            if (!seen_.insert(chunk.id).second) return;
            ++rep_.blocks;
            if (auto r = io_.read(chunk); !r)
              damage(what + ", chunk " + chunk.id.short_hex() + ": " + r.error().message());
          });
    }
    if (!st) damage(what + ": " + st.error().message());
  }

  void damage(const std::string& error) {
    rep_.damaged.push_back(VersionDamage{head_->hash(), head_->time_ns, error});
    if (o_.found) o_.found(rep_.damaged.back());
  }

  Volume& volume_;
  BlockIo& io_;
  VersionsReport& rep_;
  const VersionsOptions& o_;
  const Head* head_ = nullptr;
  std::unordered_set<Id256, Id256Hash> seen_;
};

}  // namespace

RetainedHistory retained_history(Volume& volume, const std::vector<Head>& extra_heads,
                                 const RetentionPolicy& policy, int64_t now_ns,
                                 const std::vector<Pin>& pins) {
  RetainedHistory out;
  // The history: every head reachable from the current ones through their parents.
  std::vector<Head> current;
  if (volume.head()) current.push_back(*volume.head());
  current.insert(current.end(), extra_heads.begin(), extra_heads.end());
  History walked = walk_history(current, [&](const Id256& id) { return volume.load_head(id); });
  out.history_cut = walked.cut;
  for (auto& [id, e] : walked.missing)
    out.missing.push_back(VersionDamage{id, 0, "head: " + e.message()});
  std::map<Id256, Head>& history = walked.heads;
  out.versions = history.size();
  out.walked.reserve(history.size());
  for (auto& [hash, h] : history) out.walked.push_back(hash);

  // What retention keeps, the current heads whatever their time, and the pinned versions.
  std::vector<Version> versions;
  for (auto& [hash, h] : history) versions.push_back(Version{hash, h.time_ns});
  std::map<Id256, Head> keep;
  for (auto& id : retained_versions(versions, now_ns, policy)) keep.emplace(id, history.at(id));
  for (auto& h : current) keep.emplace(h.hash(), h);
  for (const Pin& pin : pins) {
    if (auto it = history.find(pin.head); it != history.end()) {
      keep.emplace(pin.head, it->second);
    } else if (auto h = volume.load_head(pin.head)) {
      keep.emplace(pin.head, *h);
    } else {
      out.missing.push_back(VersionDamage{
          pin.head, 0, "the version pinned as " + pin.name + ": " + h.error().message()});
      continue;
    }
    out.pins.push_back(pin);
  }
  for (auto& [id, h] : keep) out.heads.push_back(h);
  std::sort(out.heads.begin(), out.heads.end(), [](const Head& a, const Head& b) {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.hash() > b.hash();
  });
  return out;
}

std::vector<NamedVersion> named_versions(const RetainedHistory& h) {
  std::multimap<Id256, const Pin*> pinned;
  for (const Pin& p : h.pins) pinned.emplace(p.head, &p);
  std::vector<Version> automatic;
  for (const Head& head : h.heads)
    if (!pinned.count(head.hash())) automatic.push_back(Version{head.hash(), head.time_ns});
  std::vector<std::string> names = snapshot_names(automatic);
  std::vector<NamedVersion> out;
  size_t next = 0;
  for (const Head& head : h.heads) {  // newest first, as snapshot_names' order
    auto [from, to] = pinned.equal_range(head.hash());
    if (from == to) {
      out.push_back(NamedVersion{names[next++], head, std::nullopt});
      continue;
    }
    std::vector<const Pin*> pins;
    for (auto it = from; it != to; ++it) pins.push_back(it->second);
    std::sort(pins.begin(), pins.end(),
              [](const Pin* a, const Pin* b) { return a->name < b->name; });
    for (const Pin* p : pins) out.push_back(NamedVersion{p->name, head, *p});
  }
  return out;
}

VersionsReport check_versions(Volume& volume, const std::vector<Head>& extra_heads,
                              const VersionsOptions& o) {
  VersionsReport rep;
  RetainedHistory history = retained_history(volume, extra_heads, o.policy, o.now_ns, o.pins);
  rep.versions = history.versions;
  rep.history_cut = history.history_cut;
  rep.damaged = history.missing;
  for (auto& d : rep.damaged)
    if (o.found) o.found(d);
  std::vector<const Head*> order;
  for (auto& h : history.heads) order.push_back(&h);

  Checker checker(volume, rep, o);
  for (const Head* h : order) {
    if (o.stop && o.stop->load()) {
      rep.stopped = true;
      break;
    }
    checker.check(*h);
    ++rep.checked;
    if (o.progress) o.progress(rep.checked, order.size());
  }
  return rep;
}

}  // namespace peerstore::client
