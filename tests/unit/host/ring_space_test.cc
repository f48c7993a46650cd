// The ring's space (host/ring_space.h): every node reached through successor lists is asked
// once and counted; a node that does not answer, or answers for another id, is counted as
// silent and adds nothing; the walk stops at its cap; `peerstore status` prints the sums.
#include "host/ring_space.h"

#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "host/status_report.h"

namespace peerstore::host {
namespace {

NodeRef node(int i) {
  NodeRef n;
  n.id.b.fill(uint8_t(i + 1));
  n.addr = "127.0.0.1:" + std::to_string(4000 + i);
  return n;
}

// A ring of `n` nodes, each with its next three as successors, each 1 GiB of 4 free, 100 MiB
// held.
std::map<std::string, msg::NodeStatus> ring(int n) {
  std::map<std::string, msg::NodeStatus> out;
  for (int i = 0; i < n; ++i) {
    msg::NodeStatus s;
    s.self = node(i);
    for (int k = 1; k <= 3 && k < n; ++k) s.successors.push_back(node((i + k) % n));
    s.store_free = uint64_t(1) << 30;
    s.store_total = uint64_t(4) << 30;
    s.block_bytes = uint64_t(100) << 20;
    s.reclaimable_bytes = uint64_t(i) << 20;
    out[s.self.addr] = s;
  }
  return out;
}

TEST_CASE("ring space: every node once, however many lists name it") {
  auto r = ring(10);
  int asked = 0;
  RingSpace sp = walk_ring_space(r[node(0).addr], [&](const std::string& a) {
    ++asked;
    return std::optional<msg::NodeStatus>(r.at(a));
  });
  CHECK(asked == 9);
  CHECK(sp.nodes == 10);
  CHECK(sp.silent == 0);
  CHECK_FALSE(sp.cut);
  CHECK(sp.free == uint64_t(10) << 30);
  CHECK(sp.total == uint64_t(40) << 30);
  CHECK(sp.stored == uint64_t(1000) << 20);
  CHECK(sp.reclaimable == uint64_t(45) << 20);  // 0 + 1 + ... + 9 MiB
}

TEST_CASE("ring space: silent nodes and impostors add nothing; the walk goes around them") {
  auto r = ring(8);
  RingSpace sp = walk_ring_space(r[node(0).addr], [&](const std::string& a) {
    if (a == node(3).addr) return std::optional<msg::NodeStatus>();  // down
    msg::NodeStatus s = r.at(a);
    if (a == node(5).addr) s.self = node(77);  // something else answers there
    return std::optional<msg::NodeStatus>(s);
  });
  CHECK(sp.nodes == 6);
  CHECK(sp.silent == 2);
  CHECK(sp.free == uint64_t(6) << 30);
}

TEST_CASE("ring space: a one-node ring, and the cap") {
  auto one = ring(1);
  RingSpace sp = walk_ring_space(one[node(0).addr], [](const std::string&) {
    FAIL("a one-node ring asks nobody");
    return std::optional<msg::NodeStatus>();
  });
  CHECK(sp.nodes == 1);
  CHECK(sp.total == uint64_t(4) << 30);
  auto big = ring(50);
  sp = walk_ring_space(
      big[node(0).addr], [&](const std::string& a) { return std::optional(big.at(a)); }, 20);
  CHECK(sp.nodes == 20);
  CHECK(sp.cut);
}

TEST_CASE("ring space in status: the text line and the JSON fields") {
  auto r = ring(3);
  RingSpace sp{
      3, 1, false, uint64_t(3) << 30, uint64_t(12) << 30, uint64_t(300) << 20, uint64_t(7) << 20};
  std::string text = status_text(r[node(0).addr], nullptr, &sp);
  CHECK_MESSAGE(text.find("ring store       3.0 GiB free of 12 GiB on 3 nodes, 300 MiB held, "
                          "7.0 MiB reclaimable (1 did not answer)\n") != std::string::npos,
                text);
  auto j = nlohmann::json::parse(status_json(r[node(0).addr], nullptr, &sp));
  CHECK(j["ring_nodes"] == 3);
  CHECK(j["ring_silent"] == 1);
  CHECK(j["ring_store_free"] == uint64_t(3) << 30);
  CHECK(j["ring_store_total"] == uint64_t(12) << 30);
  CHECK(j["ring_stored"] == uint64_t(300) << 20);
  CHECK(j["ring_reclaimable"] == uint64_t(7) << 20);
  CHECK_FALSE(nlohmann::json::parse(status_json(r[node(0).addr])).contains("ring_nodes"));
}

}  // namespace
}  // namespace peerstore::host
