// Bad input on a live ring: a stranger sends the nodes random bytes, truncated and bit-flipped
// messages, unknown versions and types, and well-formed requests with hostile contents (huge
// ranges and limits, bogus offers, a fake leave notice). Nodes drop what does not decode
// (counted as corrupt), answer the rest within their caps, never crash, and the ring and its
// data stay intact.
#include <doctest/doctest.h>

#include "scenario.h"
#include "support/sim_clock.h"
#include "support/sim_transport.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: random and hostile messages are rejected without harm") {
  uint64_t seed = seed_or(500);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  std::string why;
  REQUIRE(c.grow(24, 100));
  REQUIRE(settle(c, 60000, &why) >= 0);
  KeyBook book;
  REQUIRE(book.fill(c, 200, 5) == 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);

  int ep = c.net().add_endpoint("stranger");
  SimTransport st(c.net(), ep);
  SimClock sc(c.net(), ep);
  Rpc stranger(st, sc, NodeRef{random_id(c.rng()), "stranger"});
  auto& rng = c.rng();
  std::vector<Bytes> valid;
  for (Body b : std::vector<Body>{msg::Ping{}, msg::GetNeighbors{}, msg::Find{random_id(rng)},
                                  msg::GetBlock{random_id(rng)},
                                  msg::Summarize{random_id(rng), random_id(rng), 4},
                                  msg::ListKeys{random_id(rng), random_id(rng), 1000000},
                                  msg::Notify{}, msg::Ok{}, msg::Found{true, {}}})
    valid.push_back(Message{1, NodeRef{random_id(rng), "stranger"}, b}.encode());
  size_t sent = 0;
  for (int k = 0; k < 3000; ++k) {
    const std::string& to = c.peer(c.random_live()).addr;
    Bytes m;
    switch (k % 4) {
      case 0:  // random bytes
        m.resize(rng() % 300);
        for (auto& x : m) x = uint8_t(rng());
        break;
      case 1: {  // truncated
        auto& v = valid[rng() % valid.size()];
        m.assign(v.begin(), v.begin() + long(rng() % v.size()));
        break;
      }
      case 2: {  // bit flips
        m = valid[rng() % valid.size()];
        m[rng() % m.size()] ^= uint8_t(1 + rng() % 255);
        break;
      }
      case 3:  // unknown version / type
        m = valid[rng() % valid.size()];
        m[rng() % 2 + 1] = uint8_t(rng() % 2 ? 0x7f : 0x17);
        break;
    }
    st.send(to, m);
    ++sent;
    if (k % 100 == 0) c.run_for(50);
  }
  // Well-formed but hostile requests: everything is answered within its caps.
  size_t answered = 0;
  auto count = [&](Result<Message>) { ++answered; };
  std::vector<KeyEntry> bogus(1024);
  for (auto& e : bogus) e = KeyEntry{KeyKind::block, random_id(rng), Id256{}, Fingerprint{}};
  for (size_t i = 0; i < 8; ++i) {
    const std::string& to = c.peer(c.random_live()).addr;
    stranger.call(to, msg::ListKeys{Id256{}, Id256{}, 1u << 31}, 1000, count);
    stranger.call(to, msg::Summarize{Id256{}, Id256{}, 6}, 1000, count);
    stranger.call(to, msg::Offer{bogus}, 1000, count);
    stranger.call(to, msg::Leaving{std::nullopt, {}}, 1000, count);
    stranger.call(to, msg::Notify{}, 1000, count);
  }
  c.run_for(5000);
  CHECK(answered == 40);
  uint64_t corrupt = 0;
  for (size_t i = 0; i < c.size(); ++i) corrupt += c.node(i).rpc_stats().corrupt;
  MESSAGE("bad input: " << sent << " sent, " << corrupt << " rejected as corrupt");
  CHECK(corrupt > sent / 2);
  // The ring and its data are unharmed (the stranger, now cached or a predecessor somewhere,
  // does not answer and is dropped again).
  REQUIRE(settle(c, 60000, &why) >= 0);
  CHECK(book.check(c, 3).under == 0);
  CHECK(book.read_all(c) == "");
}

}  // namespace
}  // namespace peerstore::sim
