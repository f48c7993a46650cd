// The forms `peerstore status` prints. The contract: the JSON is one line that a JSON parser
// reads back to the same values under the field names scripts use (and in their order), whatever
// bytes a peer put in its addresses; the text form shows every field.
#include "host/status_report.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "fs/retention.h"

namespace peerstore::host {
namespace {

NodeRef node(uint8_t fill, std::string addr) {
  NodeRef n;
  n.id.b.fill(fill);
  n.addr = std::move(addr);
  return n;
}

msg::NodeStatus sample() {
  msg::NodeStatus s;
  s.self = node(0x11, "127.0.0.1:4000");
  s.state = "member";
  s.predecessor = node(0x22, "127.0.0.1:4001");
  s.successors = {node(0x33, "127.0.0.1:4002"), node(0x44, "10.0.0.1:4003")};
  s.blocks = 12;
  s.head_sets = 3;
  s.below_target = 2;
  s.pending_uploads = 7;
  s.uptime_ms = 3723'000;
  s.longest_short_ms = 250;
  s.store_free = uint64_t(3) << 29;  // 1.5 GiB
  s.store_total = uint64_t(2) << 30;
  s.reclaimable_bytes = uint64_t(5) << 20;
  s.released_blocks = 40;
  return s;
}

TEST_CASE("status json: parses back to the same values, fields in order") {
  msg::NodeStatus s = sample();
  std::string text = status_json(s);
  CHECK(text.find('\n') == std::string::npos);
  auto j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{
                    "id", "address", "state", "predecessor", "successors", "blocks", "block_bytes",
                    "head_sets", "below_target", "pending_uploads", "uptime_ms", "longest_short_ms",
                    "store_free", "store_total", "reclaimable", "released_blocks",
                    "last_collection_ns", "last_collection_freed", "collection_failures"});
  CHECK(j["id"] == s.self.id.hex());
  CHECK(j["address"] == "127.0.0.1:4000");
  CHECK(j["state"] == "member");
  CHECK(j["predecessor"] == s.predecessor->id.hex() + "@127.0.0.1:4001");
  REQUIRE(j["successors"].size() == 2);
  CHECK(j["successors"][0] == s.successors[0].id.hex() + "@127.0.0.1:4002");
  CHECK(j["successors"][1] == s.successors[1].id.hex() + "@10.0.0.1:4003");
  CHECK(j["blocks"] == 12);
  CHECK(j["block_bytes"] == s.block_bytes);
  CHECK(j["head_sets"] == 3);
  CHECK(j["below_target"] == 2);
  CHECK(j["pending_uploads"] == 7);
  CHECK(j["uptime_ms"] == 3723'000);
  CHECK(j["longest_short_ms"] == 250);
  CHECK(j["store_free"] == uint64_t(3) << 29);
  CHECK(j["store_total"] == uint64_t(2) << 30);
  CHECK(j["reclaimable"] == uint64_t(5) << 20);
  CHECK(j["released_blocks"] == 40);
  CHECK(j["last_collection_ns"] == 0);
  CHECK(j["collection_failures"] == 0);
}

TEST_CASE("status json: no predecessor is null, no successors an empty list") {
  msg::NodeStatus s = sample();
  s.predecessor.reset();
  s.successors.clear();
  s.blocks = UINT64_MAX;
  auto j = nlohmann::json::parse(status_json(s));
  CHECK(j["predecessor"].is_null());
  CHECK(j["successors"].is_array());
  CHECK(j["successors"].empty());
  CHECK(j["blocks"].get<uint64_t>() == UINT64_MAX);
}

TEST_CASE("status json: whatever a peer puts in an address stays valid JSON") {
  msg::NodeStatus s = sample();
  s.self.addr = "a\"b\\c\x01\n\td";
  s.state = "\x7f";
  s.successors = {node(0x55, std::string("x\xff\xfe:1", 5))};
  std::string text = status_json(s);
  CHECK(text.find('\n') == std::string::npos);
  auto j = nlohmann::json::parse(text);
  CHECK(j["address"] == "a\"b\\cd");  // control characters dropped, quotes kept
  CHECK(j["state"] == "\x7f");
  CHECK(j["successors"][0].get<std::string>().starts_with(s.successors[0].id.hex() + "@x"));
}

TEST_CASE("status text: every field, one per line") {
  std::string t = status_text(sample());
  CHECK(t.find("node             " + sample().self.id.hex() + "\n") != std::string::npos);
  CHECK(t.find("address          127.0.0.1:4000 (member, up 1h02m03s)\n") != std::string::npos);
  CHECK(t.find("predecessor      " + sample().predecessor->str() + "\n") != std::string::npos);
  CHECK(t.find("successors       " + sample().successors[0].str() + "\n") != std::string::npos);
  CHECK(t.find("                 " + sample().successors[1].str() + "\n") != std::string::npos);
  CHECK(t.find("keys held        12 blocks, 3 head sets\n") != std::string::npos);
  CHECK(t.find("below target     2 (repair is under way)\n") != std::string::npos);
  CHECK(t.find("pending uploads  7\n") != std::string::npos);
  CHECK(t.find("longest short    250 ms") != std::string::npos);
  CHECK(t.find("store            1.5 GiB free of 2.0 GiB\n") != std::string::npos);
  CHECK(t.find("reclaimable      5.0 MiB (blocks nobody needs, erased after a day, or 20 s on a "
               "computer alone; 40 erased so far)\n") != std::string::npos);
  // A storage-only node has no collector: no line for it.
  CHECK(t.find("last collection") == std::string::npos);
  msg::NodeStatus mount = sample();
  mount.collection_failures = 2;
  CHECK(status_text(mount).find("last collection  none yet, 2 runs failed (the mount's log says "
                                "why)\n") != std::string::npos);
  mount.collection_failures = 0;
  mount.last_collection_ns = uint64_t(1796630000) * 1000000000;
  mount.last_collection_freed = 345;
  CHECK(status_text(mount).find("last collection  " +
                                version_time_name(int64_t(mount.last_collection_ns)) +
                                ", 345 blocks and claims given back\n") != std::string::npos);
  msg::NodeStatus full = sample();
  full.store_free = 10 << 20;
  full.store_total = uint64_t(1) << 30;
  CHECK(status_text(full).find("store            10 MiB free of 1.0 GiB (nearly full: new copies "
                               "and writes are refused)\n") != std::string::npos);
  full.store_free = 512;
  CHECK(status_text(full).find("store            512 B free") != std::string::npos);

  msg::NodeStatus lone = sample();
  lone.predecessor.reset();
  lone.successors.resize(1);
  std::string l = status_text(lone);
  CHECK(l.find("predecessor      (none yet)\n") != std::string::npos);
  CHECK(l.find("below target     2 (the ring has fewer nodes than copies of each key)\n") !=
        std::string::npos);
  lone.below_target = 0;
  CHECK(status_text(lone).find("below target     0\n") != std::string::npos);
}

TEST_CASE("status: this computer's conflicts and mass deletions, when its data is known") {
  msg::NodeStatus s = sample();
  CHECK(status_text(s).find("mass deletions") == std::string::npos);
  CHECK_FALSE(nlohmann::json::parse(status_json(s)).contains("conflicts"));
  LocalFacts none;
  std::string t = status_text(s, &none);
  CHECK(t.find("sync conflicts   0\n") != std::string::npos);
  CHECK(t.find("mass deletions   0\n") != std::string::npos);
  auto j = nlohmann::json::parse(status_json(s, &none));
  CHECK(j["mass_deletions"] == 0);
  CHECK_FALSE(j.contains("last_mass_deletion"));

  LocalFacts caught;
  caught.conflicts = 2;
  caught.mass_deletions = {
      BrakeRecord{"old", 1, 60, 70},
      BrakeRecord{"before-mass-delete-2026-12-06T16-03-52", 1796573032'000'000'000, 1200, 3000}};
  t = status_text(s, &caught);
  CHECK(t.find("mass deletions   2 (the latest at 2026-12-06T16-03-52: 1200 of 3000 files; the "
               "version before is .snapshots/before-mass-delete-2026-12-06T16-03-52)\n") !=
        std::string::npos);
  j = nlohmann::json::parse(status_json(s, &caught));
  CHECK(j["conflicts"] == 2);
  CHECK(j["mass_deletions"] == 2);
  CHECK(j["last_mass_deletion"]["pin"] == "before-mass-delete-2026-12-06T16-03-52");
  CHECK(j["last_mass_deletion"]["time"] == "2026-12-06T16-03-52");
  CHECK(j["last_mass_deletion"]["removed"] == 1200);
  CHECK(j["last_mass_deletion"]["files"] == 3000);
}

}  // namespace
}  // namespace peerstore::host
