#include "host/collection.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "client/version_check.h"
#include "fs/mark_set.h"
#include "fs/reachability.h"
#include "fs/version_view.h"
#include "fs/volume.h"

namespace peerstore::host {

namespace {

// Candidates gathered per pass over the store's ids, at most (about): the ids are split into
// passes by their first two bytes, so memory stays bounded whatever the store holds.
constexpr uint64_t kPass = uint64_t(1) << 16;

Status stopped(const CollectionSources& s) {
  if (s.stop && s.stop->load()) return fail(Errc::unavailable, "the collection was stopped");
  return {};
}

uint32_t bucket(const BlockId& id) {
  return uint32_t(id.b[0]) << 8 | id.b[1];
}

// The floor below which the oldest half of the automatic snapshots in `h` lies: those that are
// neither a current head (this computer's or the network's) nor pinned. 0 if there are none.
Result<int64_t> thinned_floor(Volume& volume, const std::vector<Head>& network,
                              const client::RetainedHistory& h) {
  std::set<Id256> fixed;
  if (volume.head()) fixed.insert(volume.head()->hash());
  for (const Head& n : network) fixed.insert(n.hash());
  for (const Pin& p : h.pins) fixed.insert(p.head);
  std::vector<int64_t> times;  // newest first, as h.heads
  for (const Head& v : h.heads)
    if (!fixed.count(v.hash())) times.push_back(v.time_ns);
  if (times.empty()) return int64_t(0);
  size_t drop = (times.size() + 1) / 2;
  // Just above the newest version dropped: a version of the same time as it goes too.
  return times[times.size() - drop] + 1;
}

// One volume to mark: the home volume (which alone may thin retention) or a linked one.
struct Target {
  const VolumeKeys& keys;
  const std::function<std::vector<Pin>()>& pins;
  const std::function<std::vector<InodeRecord>()>& open_unlinked;
  const std::function<Status(Volume&, const Head&)>& claim;
  bool home = false;
};

// Marks what the retained versions of the volume and its open-unlinked files reach.
Status mark_retained(const CollectionSources& s, const Target& t, int64_t now_ns, MarkSet& marks,
                     CollectionReport& r) {
  PS_ASSIGN(auto volume, Volume::open(*s.reader, reader_keys(t.keys), s.device));
  PS_ASSIGN(std::vector<Head> network, volume->fetch_heads());
  std::vector<Pin> pins = t.pins ? t.pins() : std::vector<Pin>();
  RetentionPolicy policy = s.policy;
  if (s.floor) policy.floor_ns = std::max(policy.floor_ns, s.floor());
  client::RetainedHistory h = client::retained_history(*volume, network, policy, now_ns, pins);
  if (t.home && s.under_pressure && s.thin && s.under_pressure()) {
    PS_ASSIGN(int64_t floor, thinned_floor(*volume, network, h));
    if (floor > policy.floor_ns) {
      PS_TRY(s.thin(floor));
      policy.floor_ns = floor;
      size_t before = h.heads.size();
      h = client::retained_history(*volume, network, policy, now_ns, pins);
      r.thinned = before - std::min(before, h.heads.size());
      r.floor_ns = floor;
    }
  }
  if (h.history_cut)
    return fail(Errc::unavailable, "the history is longer than a collection walks (" +
                                       std::to_string(h.versions) + " versions)");
  if (!h.missing.empty())
    return fail(Errc::not_found, "version " + h.missing.front().head.short_hex() +
                                     " cannot be read: " + h.missing.front().error);
  for (const Head& head : h.heads) {
    PS_TRY(stopped(s));
    if (t.claim) {
      if (Status st = t.claim(*volume, head); !st)
        return fail(st.code(),
                    "claiming version " + head.hash().short_hex() + ": " + st.error().message());
    }
    if (Status st = mark_version(*volume, head, marks); !st)
      return fail(st.code(), "version " + head.hash().short_hex() + ": " + st.error().message());
  }
  for (const Id256& head : h.walked) marks.mark_leaf(head);
  r.versions += h.heads.size();
  r.history += h.walked.size();
  if (t.open_unlinked) {
    for (const InodeRecord& rec : t.open_unlinked()) {
      if (Status st = mark_content(volume->io(), rec, marks); !st)
        return fail(st.code(), "an open file with no name left (inode " + std::to_string(rec.ino) +
                                   "): " + st.error().message());
      ++r.open_unlinked;
    }
  }
  return {};
}

// Commits and marks the linked volumes; returns those marked whole, whose claims may be
// cancelled. A failed one is counted and skipped: marks it added stay (they only keep more).
std::vector<const LinkedSource*> mark_linked(const CollectionSources& s,
                                             const std::vector<LinkedSource>& linked,
                                             int64_t now_ns, MarkSet& marks, CollectionReport& r) {
  std::vector<const LinkedSource*> marked;
  for (const LinkedSource& l : linked) {
    Status st = l.commit ? l.commit() : Status();
    if (st)
      st = mark_retained(s, Target{l.keys, l.pins, l.open_unlinked, l.claim}, now_ns, marks, r);
    if (!st) {
      if (!r.linked_failed++)
        r.linked_error = "shared volume " + l.keys.id().short_hex() + ": " + st.error().message();
      continue;
    }
    ++r.linked;
    marked.push_back(&l);
  }
  return marked;
}

// Erases, pass by pass, the unmarked blocks that do not wait for upload.
Status sweep(const CollectionSources& s, const MarkSet& marks,
             const std::shared_ptr<const WriteMark>& mark, CollectionReport& r) {
  PS_ASSIGN(StoreStats stats, s.store->stats());
  const uint32_t passes = uint32_t(std::clamp<uint64_t>(stats.blocks / kPass + 1, 1, 65536));
  for (uint32_t pass = 0; pass < passes; ++pass) {
    PS_TRY(stopped(s));
    // Buckets [lo, hi) of the 65,536 first-two-byte values.
    uint32_t lo = uint32_t(uint64_t(pass) * 65536 / passes);
    uint32_t hi = uint32_t(uint64_t(pass + 1) * 65536 / passes);
    std::vector<BlockId> ids;
    PS_TRY(s.store->for_each_id([&](const BlockId& id, size_t) {
      uint32_t b = bucket(id);
      if (b >= lo && b < hi && !marks.may_contain(id)) ids.push_back(id);
      return true;
    }));
    r.unmarked += ids.size();
    if (ids.empty()) continue;
    if (s.waiting) {
      std::vector<bool> waiting = s.waiting(ids);
      size_t kept = 0;
      for (size_t i = 0; i < ids.size(); ++i)
        if (!waiting[i]) ids[kept++] = ids[i];
      r.waiting += ids.size() - kept;
      ids.resize(kept);
    }
    if (ids.empty() || !s.erase) continue;
    PS_ASSIGN(uint64_t erased, s.erase(std::move(ids), mark));
    r.erased += erased;
  }
  return {};
}

}  // namespace

Result<CollectionReport> collect(const CollectionSources& s, int64_t now_ns) {
  CollectionReport r;
  // The barrier first: whatever is written from now on is either in the version committed next
  // or written after the mark, and no erase under the mark touches it.
  std::shared_ptr<const WriteMark> mark = s.store->write_mark();
  if (!mark) return fail(Errc::invalid, "the store keeps no write history: it cannot be collected");
  auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t)
        .count();
  };
  if (Status st = s.commit(); !st)
    return fail(st.code(), "the commit before collecting failed: " + st.error().message());
  std::vector<LinkedSource> linked = s.linked ? s.linked() : std::vector<LinkedSource>();
  MarkSet marks;
  // The linked volumes' commits come before the ticket, so their claims count in it too.
  std::vector<const LinkedSource*> cancellable = mark_linked(s, linked, now_ns, marks, r);
  uint64_t ticket = s.upload_ticket ? s.upload_ticket() : 0;
  PS_TRY(
      mark_retained(s, Target{s.keys, s.pins, s.open_unlinked, s.claim, true}, now_ns, marks, r));
  marks.seal();
  r.marked = marks.interior_count() + marks.leaf_count();
  r.mark_ms = ms_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  PS_TRY(stopped(s));
  r.behind = s.uploaded && !s.uploaded(ticket);
  // Reached by a retained version of any volume: a block that any of them names keeps every
  // claim on it, whichever volume's.
  auto reached = [&marks](const BlockId& id) { return marks.may_contain(id); };
  if (s.cancel) {
    PS_ASSIGN(Claimant::Counts cancelled, s.cancel(reached));
    r.cancelled = cancelled.sent;
  }
  for (const LinkedSource* l : cancellable) {
    if (!l->cancel) continue;
    PS_TRY(stopped(s));
    PS_ASSIGN(Claimant::Counts cancelled, l->cancel(reached));
    r.cancelled += cancelled.sent;
  }
  PS_TRY(sweep(s, marks, mark, r));
  r.sweep_ms = ms_since(t1);
  return r;
}

std::string describe(const CollectionReport& r) {
  std::string linked;
  if (r.linked) linked = ", " + std::to_string(r.linked) + " shared folders among them";
  return std::to_string(r.versions) + " versions marked (" + std::to_string(r.marked) +
         " blocks, " + std::to_string(r.history) + " heads, " + std::to_string(r.open_unlinked) +
         " open unlinked files" + linked + "); " + std::to_string(r.unmarked) +
         " blocks unreached, " + std::to_string(r.waiting) + " of them waiting for upload; " +
         (r.behind ? "uploads behind, another run soon; " : "") + std::to_string(r.erased) +
         " erased here; " + std::to_string(r.cancelled) + " claims cancelled; " +
         std::to_string(r.mark_ms) + " ms to mark, " + std::to_string(r.sweep_ms) + " ms to sweep";
}

}  // namespace peerstore::host
