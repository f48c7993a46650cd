// Watches, the push half of live sync and of receiving shares: a node that watches a volume
// hears from the volume's replicas as soon as its head set changes, and keeps hearing after the
// replica set changed (renewals reach the new replicas); a node that watches a user's inbox
// hears of a new grant the same way, and only of news; replicas keep a bounded, expiring list.
#include "dht/head_watch.h"

#include <doctest/doctest.h>

#include "scenario.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: a watcher hears of a new head at once, also after a replica crashed") {
  uint64_t seed = seed_or(77);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  REQUIRE(c.grow(16, 100));
  std::string why;
  REQUIRE(settle(c, 120000, &why) >= 0);
  VolumeKeys v = make_volume(seed);
  auto d1 = device_id(1);

  size_t watcher = 3;
  int heard = 0;
  int64_t heard_at = -1;
  c.node(watcher).watch_heads(v.id(), [&] {
    ++heard;
    heard_at = c.net().now_ms();
  });
  c.run_for(2000);  // the watch reaches the replicas

  size_t writer = 9;
  int64_t start = c.net().now_ms();
  Bytes first = make_head(v, {{d1, 1}});
  REQUIRE(c.put_heads(writer, v.id(), {first}).ok());
  c.run_for(1000);
  CHECK(heard >= 1);
  REQUIRE(heard_at >= 0);
  MESSAGE("heard " << heard_at - start << " ms after the write started");
  CHECK(heard_at - start < 1000);

  // A head that changes nothing (already there) is no news.
  int before = heard;
  REQUIRE(c.put_heads(writer, v.id(), {first}).ok());
  c.run_for(1000);
  CHECK(heard == before);

  // The first replica crashes; after a renewal the replicas that remain and the new one know.
  auto replicas = c.true_successors(HeadSet::key_for(v.id()), 3);
  size_t victim = replicas[0] == watcher ? replicas[1] : replicas[0];
  c.crash(victim);
  REQUIRE(settle(c, 120000, &why) >= 0);
  c.run_for(HeadWatch::kRenewMs + 2000);
  before = heard;
  REQUIRE(c.put_heads(writer, v.id(), {make_head(v, {{d1, 2}})}).ok());
  c.run_for(1000);
  CHECK(heard > before);
}

TEST_CASE("sim: a watcher of an inbox hears of a new grant at once, and of nothing else") {
  uint64_t seed = seed_or(78);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  REQUIRE(c.grow(16, 100));
  std::string why;
  REQUIRE(settle(c, 120000, &why) >= 0);
  auto alice = make_user(seed), bob = make_user(seed + 1);
  VolumeKeys v = make_volume(seed);

  size_t watcher = 5;
  int heard = 0;
  int64_t heard_at = -1;
  c.node(watcher).watch_records(KeyKind::inbox, bob.public_key(), [&] {
    ++heard;
    heard_at = c.net().now_ms();
  });
  c.run_for(2000);  // the watch reaches the replicas

  // Another record set changing is no news to this watcher.
  REQUIRE(c.put_heads(11, v.id(), {make_head(v, {{device_id(1), 1}})}).ok());
  c.run_for(1000);
  CHECK(heard == 0);

  auto grant = make_grant(alice, bob, 1, 0, 100);
  REQUIRE(grant);
  int64_t start = c.net().now_ms();
  REQUIRE(c.put_records(11, KeyKind::inbox, bob.public_key(), {grant->encode()}).ok());
  c.run_for(1000);
  CHECK(heard >= 1);
  REQUIRE(heard_at >= 0);
  MESSAGE("heard of the grant " << heard_at - start << " ms after the write started");
  CHECK(heard_at - start < 1000);

  // The same grant again changes nothing.
  int before = heard;
  REQUIRE(c.put_records(11, KeyKind::inbox, bob.public_key(), {grant->encode()}).ok());
  c.run_for(1000);
  CHECK(heard == before);
}

TEST_CASE("HeadWatch: watchers expire, renew, and are bounded per volume") {
  HeadWatch w;
  Id256 v;
  v.b.fill(1);
  auto node = [](uint8_t i) {
    NodeRef n;
    n.id.b.fill(i);
    n.addr = "127.0.0.1:" + std::to_string(4000 + i);
    return n;
  };
  CHECK(w.add_watcher(v, node(1), 0));
  CHECK(w.add_watcher(v, node(1), 10));  // a renewal, not a second watcher
  CHECK(w.watchers(v, 20).size() == 1);
  CHECK(w.watchers(v, HeadWatch::kTtlMs + 10).empty());
  for (size_t i = 0; i < HeadWatch::kMaxPerVolume; ++i)
    CHECK(w.add_watcher(v, node(uint8_t(i + 2)), 0));
  CHECK_FALSE(w.add_watcher(v, node(200), 0));
  CHECK(w.add_watcher(v, node(200), HeadWatch::kTtlMs));  // once the others expired

  int calls = 0;
  CHECK_FALSE(w.changed(v));
  w.watch(v, [&] { ++calls; });
  CHECK(w.changed(v));
  CHECK(calls == 1);
  CHECK(w.watching().size() == 1);
}

}  // namespace
}  // namespace peerstore::sim
