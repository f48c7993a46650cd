#include "host/status_report.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "fs/retention.h"

namespace peerstore::host {
namespace {

// Addresses never hold control characters; what a peer sends anyway is dropped.
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s)
    if (uint8_t(c) >= 0x20) out += c;
  return out;
}

std::string node_str(const NodeRef& n) {
  return printable(n.id.hex() + "@" + n.addr);
}

void appendf(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* format, ...) {
  va_list ap, again;
  va_start(ap, format);
  va_copy(again, ap);
  int n = std::vsnprintf(nullptr, 0, format, ap);
  va_end(ap);
  if (n > 0) {
    size_t at = out.size();
    out.resize(at + size_t(n) + 1);
    std::vsnprintf(out.data() + at, size_t(n) + 1, format, again);
    out.resize(at + size_t(n));
  }
  va_end(again);
}

// "1.5 GiB", "300 MiB", "12 KiB", "512 B".
std::string human_size(uint64_t n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = double(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) v /= 1024, ++u;
  std::string out;
  if (u == 0)
    appendf(out, "%" PRIu64 " B", n);
  else
    appendf(out, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  return out;
}

}  // namespace

std::string status_json(const msg::NodeStatus& s, const LocalFacts* local, const RingSpace* ring) {
  // Ordered: the fields come out in the order scripts have always seen.
  nlohmann::ordered_json j;
  j["id"] = s.self.id.hex();
  j["address"] = printable(s.self.addr);
  j["state"] = printable(s.state);
  j["predecessor"] = s.predecessor ? nlohmann::ordered_json(node_str(*s.predecessor)) : nullptr;
  j["successors"] = nlohmann::ordered_json::array();
  for (auto& n : s.successors) j["successors"].push_back(node_str(n));
  j["blocks"] = s.blocks;
  j["block_bytes"] = s.block_bytes;
  j["head_sets"] = s.head_sets;
  j["below_target"] = s.below_target;
  j["pending_uploads"] = s.pending_uploads;
  j["uptime_ms"] = s.uptime_ms;
  j["longest_short_ms"] = s.longest_short_ms;
  j["store_free"] = s.store_free;
  j["store_total"] = s.store_total;
  j["reclaimable"] = s.reclaimable_bytes;
  j["released_blocks"] = s.released_blocks;
  j["last_collection_ns"] = s.last_collection_ns;
  j["last_collection_freed"] = s.last_collection_freed;
  j["collection_failures"] = s.collection_failures;
  if (local) {
    j["conflicts"] = local->conflicts;
    j["mass_deletions"] = local->mass_deletions.size();
    if (!local->mass_deletions.empty()) {
      const BrakeRecord& b = local->mass_deletions.back();
      j["last_mass_deletion"] = {{"pin", printable(b.pin)},
                                 {"time", version_time_name(b.time_ns)},
                                 {"removed", b.removed},
                                 {"files", b.files}};
    }
  }
  if (ring) {
    j["ring_nodes"] = ring->nodes;
    j["ring_silent"] = ring->silent;
    j["ring_store_free"] = ring->free;
    j["ring_store_total"] = ring->total;
    j["ring_stored"] = ring->stored;
    j["ring_reclaimable"] = ring->reclaimable;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string status_text(const msg::NodeStatus& s, const LocalFacts* local, const RingSpace* ring) {
  std::string out;
  uint64_t secs = s.uptime_ms / 1000;
  appendf(out, "node             %s\n", s.self.id.hex().c_str());
  appendf(out, "address          %s (%s, up %" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s)\n",
          s.self.addr.c_str(), s.state.c_str(), secs / 3600, secs / 60 % 60, secs % 60);
  appendf(out, "predecessor      %s\n",
          s.predecessor ? s.predecessor->str().c_str() : "(none yet)");
  for (size_t i = 0; i < s.successors.size(); ++i)
    appendf(out, "%s %s\n", i == 0 ? "successors      " : "                ",
            s.successors[i].str().c_str());
  appendf(out, "keys held        %" PRIu64 " blocks, %" PRIu64 " head sets\n", s.blocks,
          s.head_sets);
  // The ring's size as this node sees it: itself and its distinct successors.
  bool small_ring = s.successors.size() + 1 < 3;
  appendf(out, "below target     %" PRIu64 "%s\n", s.below_target,
          !s.below_target ? ""
          : small_ring    ? " (the ring has fewer nodes than copies of each key)"
                          : " (repair is under way)");
  appendf(out, "pending uploads  %" PRIu64 "\n", s.pending_uploads);
  appendf(out, "store            %s free of %s%s\n", human_size(s.store_free).c_str(),
          human_size(s.store_total).c_str(),
          s.store_total && s.store_free < s.store_total / 50 ? " (nearly full: new copies and "
                                                               "writes are refused)"
                                                             : "");
  appendf(out,
          "reclaimable      %s (blocks nobody needs, erased after a day, or 20 s on a computer "
          "alone; %" PRIu64 " erased so far)\n",
          human_size(s.reclaimable_bytes).c_str(), s.released_blocks);
  // A mount's collector (a storage-only node has none, and says nothing here).
  if (s.last_collection_ns || s.collection_failures) {
    std::string failed = s.collection_failures ? ", " + std::to_string(s.collection_failures) +
                                                     " runs failed (the mount's log says why)"
                                               : "";
    if (s.last_collection_ns)
      appendf(out, "last collection  %s, %" PRIu64 " blocks and claims given back%s\n",
              version_time_name(int64_t(s.last_collection_ns)).c_str(), s.last_collection_freed,
              failed.c_str());
    else
      appendf(out, "last collection  none yet%s\n", failed.c_str());
  }
  if (ring)
    appendf(out, "ring store       %s free of %s on %zu node%s, %s held, %s reclaimable%s%s\n",
            human_size(ring->free).c_str(), human_size(ring->total).c_str(), ring->nodes,
            ring->nodes == 1 ? "" : "s", human_size(ring->stored).c_str(),
            human_size(ring->reclaimable).c_str(),
            ring->silent ? (" (" + std::to_string(ring->silent) + " did not answer)").c_str() : "",
            ring->cut ? " (stopped after the first nodes)" : "");
  // How long the node's own writes stayed at their quorum, short of their full count.
  appendf(out, "longest short    %" PRIu64 " ms (a write of this node below its copies)\n",
          s.longest_short_ms);
  if (!local) return out;
  appendf(out, "sync conflicts   %" PRIu64 "%s\n", local->conflicts,
          local->conflicts ? " (peerstore conflicts lists them)" : "");
  appendf(out, "mass deletions   %zu", local->mass_deletions.size());
  if (!local->mass_deletions.empty()) {
    const BrakeRecord& b = local->mass_deletions.back();
    appendf(out,
            " (the latest at %s: %" PRIu64 " of %" PRIu64
            " files; the version before is .snapshots/%s)",
            version_time_name(b.time_ns).c_str(), b.removed, b.files, printable(b.pin).c_str());
  }
  out += "\n";
  return out;
}

std::string conflict_line(const ConflictRecord& c) {
  time_t secs = time_t(c.time_ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  std::string out;
  appendf(out, "%s  %s (devices %s and %s): %s's version is %s\n", when, printable(c.path).c_str(),
          printable(c.winner).c_str(), printable(c.loser).c_str(), printable(c.loser).c_str(),
          printable(c.copy).c_str());
  return out;
}

}  // namespace peerstore::host
