#include "host/dashboard_view.h"

#include <nlohmann/json.hpp>

#include "host/prometheus_text.h"

namespace peerstore::host {
namespace {

using Json = nlohmann::ordered_json;

// Addresses and states come from peers: control characters are dropped.
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s)
    if (uint8_t(c) >= 0x20 && c != 0x7f) out += c;
  return out;
}

Json node_json(const NodeRef& n) {
  return Json{{"id", n.id.hex()}, {"address", printable(n.addr)}};
}

Json nodes_json(const std::vector<NodeRef>& nodes) {
  Json a = Json::array();
  for (auto& n : nodes) a.push_back(node_json(n));
  return a;
}

}  // namespace

std::string dashboard_json(const DashboardView& v) {
  const msg::NodeStatus& s = v.node.status;
  Json j;
  j["program"] = v.program;
  j["node"] = node_json(s.self);
  j["node"]["state"] = printable(s.state);
  j["node"]["uptime_ms"] = s.uptime_ms;
  j["ring"] = {{"size_estimate", v.node.ring_size},
               {"predecessor", s.predecessor ? node_json(*s.predecessor) : Json(nullptr)},
               {"successors", nodes_json(s.successors)},
               {"fingers", nodes_json(v.node.fingers)}};
  j["storage"] = {{"blocks", s.blocks},
                  {"head_sets", s.head_sets},
                  {"block_bytes", s.block_bytes},
                  {"store_free", s.store_free},
                  {"store_total", s.store_total},
                  {"reclaimable", s.reclaimable_bytes},
                  {"released_blocks", s.released_blocks}};
  j["replication"] = {{"below_target", s.below_target}, {"longest_short_ms", s.longest_short_ms}};
  j["uploads"] = {{"pending", s.pending_uploads}};
  if (v.mount) {
    const MountView& m = *v.mount;
    j["uploads"]["uploaded_blocks"] = m.uploads.uploaded_blocks;
    j["uploads"]["uploaded_heads"] = m.uploads.uploaded_heads;
    j["uploads"]["failures"] = m.uploads.failures;
    j["uploads"]["last_error"] = m.uploads.last_error;
    uint64_t requests = 0;
    for (auto& h : m.fuse.ops) requests += h.count();
    j["mount"] = {{"mountpoint", m.mountpoint},
                  {"requests", requests},
                  {"bytes_read", m.fuse.bytes_read},
                  {"bytes_written", m.fuse.bytes_written}};
    j["sync"] = {{"rounds", m.sync.rounds},
                 {"fast_forwards", m.sync.fast_forwards},
                 {"merges", m.sync.merges},
                 {"conflicts", m.sync.conflicts},
                 {"failures", m.sync.failures}};
    j["conflicts"] = m.conflicts;
  } else {
    j["mount"] = nullptr;
    j["sync"] = nullptr;
    j["conflicts"] = nullptr;
  }
  // Folders shared with this user or by it (peerstore-share). Sharing is not built yet
  // (issue 14), so a process has none to show.
  j["shares"] = Json::array();
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string dashboard_metrics(const DashboardView& v) {
  const msg::NodeStatus& s = v.node.status;
  const RpcTraffic& t = v.node.traffic;
  PrometheusText p;
  auto gauge = [&](const char* name, const char* help, double value) {
    p.family(name, "gauge", help);
    p.sample(value);
  };
  auto counter = [&](const char* name, const char* help, double value) {
    p.family(name, "counter", help);
    p.sample(value);
  };
  gauge("peerstore_uptime_seconds", "Seconds since this node started.", double(s.uptime_ms) / 1e3);
  gauge("peerstore_ring_size_estimate",
        "Nodes in the ring, as this node's successor list tells it.", v.node.ring_size);
  gauge("peerstore_ring_fingers", "Distinct nodes in this node's finger table.",
        double(v.node.fingers.size()));
  gauge("peerstore_keys_below_target",
        "Keys held here that the ring has fewer copies of than its target.",
        double(s.below_target));
  gauge("peerstore_longest_short_seconds",
        "The longest time one of this node's writes stayed below its full copy count.",
        double(s.longest_short_ms) / 1e3);
  gauge("peerstore_pending_uploads", "Blocks and head sets written here, not yet on the ring.",
        double(s.pending_uploads));
  gauge("peerstore_blocks", "Blocks this node's store holds.", double(s.blocks));
  gauge("peerstore_head_sets", "Volume head sets this node's store holds.", double(s.head_sets));
  gauge("peerstore_block_bytes", "Bytes of the blocks this node's store holds.",
        double(s.block_bytes));
  gauge("peerstore_store_free_bytes", "Bytes this node's store can still take.",
        double(s.store_free));
  gauge("peerstore_store_total_bytes", "The most this node's store can hold, in bytes.",
        double(s.store_total));
  gauge("peerstore_reclaimable_bytes",
        "Bytes of blocks no claimant needs, held until their grace is over.",
        double(s.reclaimable_bytes));

  p.family("peerstore_dht_requests_total", "counter",
           "Requests this node received from peers, by message type.");
  for (size_t i = 0; i < kMessageTypes; ++i)
    if (t.served[i]) p.sample(double(t.served[i]), {{"type", message_type_name(i)}});
  p.family("peerstore_dht_calls_total", "counter",
           "Requests this node sent to peers (each attempt), by message type.");
  for (size_t i = 0; i < kMessageTypes; ++i)
    if (t.called[i]) p.sample(double(t.called[i]), {{"type", message_type_name(i)}});
  counter("peerstore_dht_received_bytes_total", "Bytes of messages received from peers.",
          double(t.bytes_in));
  counter("peerstore_dht_sent_bytes_total", "Bytes of messages sent to peers.",
          double(t.bytes_out));
  counter("peerstore_dht_call_timeouts_total", "Requests to peers that got no answer in time.",
          double(t.timeouts));
  counter("peerstore_dht_unreachable_total", "Requests to peers that could not be delivered.",
          double(t.unreachable));
  counter("peerstore_dht_corrupt_messages_total",
          "Messages from peers that did not decode and were dropped.", double(t.corrupt));
  p.family("peerstore_dht_call_duration_seconds", "histogram",
           "Time from a request to a peer to its answer (whole milliseconds of the loop clock).");
  p.histogram(t.latency);

  if (v.mount) {
    const MountView& m = *v.mount;
    p.family("peerstore_fuse_requests_total", "counter", "FUSE requests answered, by operation.");
    for (size_t i = 0; i < kFuseOps; ++i)
      if (uint64_t n = m.fuse.ops[i].count())
        p.sample(double(n), {{"op", fuse_op_name(FuseOp(i))}});
    p.family("peerstore_fuse_request_duration_seconds", "histogram",
             "Time to answer a FUSE request, by operation.");
    for (size_t i = 0; i < kFuseOps; ++i)
      if (m.fuse.ops[i].count()) p.histogram(m.fuse.ops[i], {{"op", fuse_op_name(FuseOp(i))}});
    counter("peerstore_fuse_read_bytes_total", "Bytes read through the mount.",
            double(m.fuse.bytes_read));
    counter("peerstore_fuse_written_bytes_total", "Bytes written through the mount.",
            double(m.fuse.bytes_written));
    counter("peerstore_uploaded_blocks_total", "Blocks this mount put on the ring.",
            double(m.uploads.uploaded_blocks));
    counter("peerstore_upload_failures_total", "Uploads to the ring that failed (and are retried).",
            double(m.uploads.failures));
    counter("peerstore_sync_rounds_total", "Live sync rounds since the mount started.",
            double(m.sync.rounds));
    counter("peerstore_sync_merges_total", "Merges of another computer's changes.",
            double(m.sync.merges));
    counter("peerstore_sync_failures_total", "Live sync rounds that failed.",
            double(m.sync.failures));
    gauge("peerstore_conflicts", "Conflict copies live sync made on this computer (its log).",
          double(m.conflicts));
  }
  return p.text();
}

}  // namespace peerstore::host
