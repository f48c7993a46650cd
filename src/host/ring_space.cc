#include "host/ring_space.h"

#include <deque>
#include <set>

#include "dht/status_query.h"
#include "host/admission.h"

namespace peerstore::host {

RingSpace walk_ring_space(const msg::NodeStatus& first, const StatusQuery& query,
                          size_t max_nodes) {
  RingSpace out;
  std::set<Id256> seen{first.self.id};
  std::deque<NodeRef> next;
  auto count = [&](const msg::NodeStatus& s) {
    ++out.nodes;
    out.free += s.store_free;
    out.total += s.store_total;
    out.stored += s.block_bytes;
    out.reclaimable += s.reclaimable_bytes;
    for (const NodeRef& n : s.successors)
      if (seen.insert(n.id).second) next.push_back(n);
  };
  count(first);
  while (!next.empty()) {
    if (out.nodes + out.silent >= max_nodes) {
      out.cut = true;
      break;
    }
    NodeRef n = next.front();
    next.pop_front();
    auto s = query(n.addr);
    // A node that answers for another id is not the one named: counted as silent.
    if (!s || s->self.id != n.id) {
      ++out.silent;
      continue;
    }
    count(*s);
  }
  return out;
}

RingSpace ask_ring_space(const DataDirLayout& layout, const msg::NodeStatus& first,
                         std::chrono::milliseconds per_node, std::chrono::milliseconds overall) {
  auto secret = member_secret(layout, "");
  auto until = std::chrono::steady_clock::now() + overall;
  auto creds = secret ? make_credentials(SigningKey::generate(), std::move(*secret)) : nullptr;
  return walk_ring_space(first, [&](const std::string& address) -> std::optional<msg::NodeStatus> {
    if (!creds || std::chrono::steady_clock::now() >= until) return std::nullopt;
    auto s = query_status(address, creds, per_node);
    if (!s) return std::nullopt;
    return std::move(*s);
  });
}

}  // namespace peerstore::host
