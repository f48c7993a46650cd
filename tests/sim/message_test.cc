// Wire messages: golden bytes pin the format; every type round-trips; and anything else -
// random bytes, truncations, bit flips, unknown versions and types, absurd sizes - decodes to
// Errc::corrupt without crashing or allocating what a header claims.
#include "dht/message.h"

#include <doctest/doctest.h>

#include "common/msgpack_codec.h"
#include "sim_seed.h"
#include "support/filled_id.h"
#include "test_data.h"

namespace peerstore {
namespace {

using test::filled_id;

std::string rep(const std::string& byte_hex, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += byte_hex;
  return s;
}

NodeRef sender() {
  return NodeRef{filled_id(0x11), "n1"};
}
const std::string kSender = "92c420" + rep("11", 32) + "a26e31";

msg::NodeStatus status_sample() {
  msg::NodeStatus s;
  s.self = sender();
  s.state = "member";
  s.successors = {NodeRef{filled_id(0x33), "n3"}};
  s.blocks = 5;
  s.head_sets = 1;
  s.block_bytes = 300;
  s.below_target = 2;
  s.uptime_ms = 70000;
  s.longest_short_ms = 120;
  s.reclaimable_bytes = 4096;
  s.released_blocks = 9;
  return s;
}

std::vector<Message> samples() {
  std::vector<Message> v;
  auto add = [&](Body b) { v.push_back(Message{uint64_t(v.size() + 1), sender(), std::move(b)}); };
  add(msg::Ping{});
  add(msg::Pong{});
  add(msg::GetNeighbors{});
  add(msg::Neighbors{NodeRef{filled_id(1), "a:1"},
                     {NodeRef{filled_id(2), "b:2"}, NodeRef{filled_id(3), "c:3"}},
                     {NodeRef{filled_id(1), "a:1"}}});
  add(msg::Neighbors{std::nullopt, {}, {}});
  add(msg::Neighbors{std::nullopt, {}, {}, true});
  add(msg::Notify{});
  add(msg::Find{filled_id(9)});
  add(msg::Found{true, {NodeRef{filled_id(2), "b:2"}}});
  add(msg::GetBlock{filled_id(4)});
  add(msg::Block{Bytes{1, 2, 3}});
  add(msg::Block{std::nullopt});
  add(msg::PutBlock{filled_id(5), Bytes(1000, 7)});
  add(msg::GetHeads{filled_id(6)});
  add(msg::Heads{{Bytes{1}, Bytes{2, 3}}});
  add(msg::PutHeads{filled_id(6), {Bytes{4, 5}}});
  add(msg::Summarize{filled_id(1), filled_id(2), 4});
  add(msg::Summary{{RangeDigest{3, Fingerprint{1}}, RangeDigest{0, Fingerprint{}}}});
  add(msg::ListKeys{filled_id(1), filled_id(2), 512});
  KeyEntry blk{KeyKind::block, filled_id(7), Id256{}, Fingerprint{9}};
  KeyEntry hd{KeyKind::heads, filled_id(8), filled_id(6), Fingerprint{8}};
  add(msg::KeyList{{blk, hd}, true});
  add(msg::Offer{{hd, blk}});
  add(msg::Want{{0, 5, 1023}});
  add(msg::Leaving{NodeRef{filled_id(1), "a:1"}, {NodeRef{filled_id(2), "b:2"}}});
  add(msg::Ok{});
  add(msg::Error{Errc::corrupt, "bad"});
  add(msg::GetStatus{});
  add(status_sample());
  add(msg::WatchHeads{filled_id(6)});
  add(msg::HeadsChanged{filled_id(6)});
  add(msg::GetRecords{KeyKind::inbox, filled_id(6)});
  add(msg::Records{{Bytes{1}, Bytes{2, 3}}});
  add(msg::PutRecords{KeyKind::inbox, filled_id(6), {Bytes{4, 5}}});
  add(msg::KeyList{{KeyEntry{KeyKind::inbox, filled_id(9), filled_id(6), Fingerprint{7}}}, false});
  return v;
}

TEST_CASE("message: golden bytes") {
  CHECK(to_hex(Message{7, sender(), msg::Ping{}}.encode()) == "94010107" + kSender);
  CHECK(to_hex(Message{300, sender(), msg::Find{filled_id(0x22)}}.encode()) ==
        "950106cd012c" + kSender + "c420" + rep("22", 32));
  CHECK(
      to_hex(Message{300, sender(), msg::Found{true, {NodeRef{filled_id(0x33), "n3"}}}}.encode()) ==
      "960107cd012c" + kSender + "c39192c420" + rep("33", 32) + "a26e33");
  CHECK(to_hex(Message{5, sender(), msg::Error{Errc::corrupt, "bad"}}.encode()) ==
        "96011605" + kSender + "03a3626164");
  KeyEntry e{KeyKind::heads, filled_id(0x44), filled_id(0x55), Fingerprint{}};
  e.fp.fill(0x66);
  CHECK(to_hex(Message{9, sender(), msg::KeyList{{e}, false}}.encode()) ==
        "96011109" + kSender + "919402c420" + rep("44", 32) + "c420" + rep("55", 32) + "c410" +
            rep("66", 16) + "c2");
  CHECK(to_hex(Message{2, sender(), msg::Neighbors{std::nullopt, {}, {}}}.encode()) ==
        "98010402" + kSender + "c09090c2");
  CHECK(to_hex(Message{4, sender(), msg::GetStatus{}}.encode()) == "94011704" + kSender);
  CHECK(to_hex(Message{6, sender(), msg::WatchHeads{filled_id(0x55)}}.encode()) ==
        "95011906" + kSender + "c420" + rep("55", 32));
  CHECK(to_hex(Message{6, sender(), msg::HeadsChanged{filled_id(0x55)}}.encode()) ==
        "95011a06" + kSender + "c420" + rep("55", 32));
  CHECK(to_hex(Message{6, sender(), msg::GetRecords{KeyKind::inbox, filled_id(0x55)}}.encode()) ==
        "96011b06" + kSender + "03c420" + rep("55", 32));
  CHECK(to_hex(Message{6, sender(), msg::PutRecords{KeyKind::inbox, filled_id(0x55), {Bytes{7}}}}
                   .encode()) == "97011d06" + kSender + "03c420" + rep("55", 32) + "91c40107");
  // node, "member", nil, [n3], 5, 1, 300, 2, 0, 70000, 120, 0, 0, 4096, 9, 0, 0, 0 (22 fields:
  // array16)
  CHECK(to_hex(Message{3, sender(), status_sample()}.encode()) ==
        "dc0016011803" + kSender + kSender + "a66d656d626572" + "c0" + "9192c420" + rep("33", 32) +
            "a26e33" + "0501cd012c0200ce00011170780000" + "cd100009" + "000000");
}

TEST_CASE("message: every type round-trips") {
  for (auto& m : samples()) {
    CAPTURE(m.type_name());
    Bytes b = m.encode();
    auto d = Message::decode(b);
    REQUIRE(d.ok());
    CHECK(d->type() == m.type());
    CHECK(d->request_id == m.request_id);
    CHECK(d->sender == m.sender);
    CHECK(d->encode() == b);
    CHECK(d->is_response() == m.is_response());
  }
}

TEST_CASE("message: a block's encoding has room for the record layer's tag") {
  // Each replica of a put got its message copied once more when the tag did not fit.
  for (size_t n : {size_t(0), size_t(1000), size_t(65536), kMaxBlockSize}) {
    CAPTURE(n);
    for (Body body :
         {Body(msg::PutBlock{filled_id(3), Bytes(n, 7)}), Body(msg::Block{Bytes(n, 8)})}) {
      Message m{42, sender(), body};
      Bytes b = m.encode();
      CHECK(b.capacity() - b.size() >= Message::kEncodeSlack);
      CHECK(Message::encode(42, sender(), body) == b);
    }
  }
}

TEST_CASE("message: unknown version, unknown type, wrong shapes are corrupt") {
  auto enc = [](auto fn) {
    mp::Buffer buf;
    mp::Packer pk(buf);
    fn(pk);
    return mp::to_bytes(buf);
  };
  auto sender_fields = [](mp::Packer& pk) {
    pk.pack_array(2);
    mp::pack_bin(pk, filled_id(1).view());
    pk.pack(std::string("x"));
  };
  auto bad = {
      enc([&](mp::Packer& pk) {
        pk.pack_array(4);
        pk.pack(2);
        pk.pack(1);
        pk.pack(1);
        sender_fields(pk);
      }),
      enc([&](mp::Packer& pk) {
        pk.pack_array(4);
        pk.pack(1);
        pk.pack(99);
        pk.pack(1);
        sender_fields(pk);
      }),
      enc([&](mp::Packer& pk) {
        pk.pack_array(4);
        pk.pack(1);
        pk.pack(0);
        pk.pack(1);
        sender_fields(pk);
      }),
      enc([&](mp::Packer& pk) {
        pk.pack_array(5);
        pk.pack(1);
        pk.pack(1);
        pk.pack(1);
        sender_fields(pk);
        pk.pack(1);
      }),
      enc([&](mp::Packer& pk) {
        pk.pack_array(5);
        pk.pack(1);
        pk.pack(6);
        pk.pack(1);
        sender_fields(pk);
        pk.pack(1);
      }),
      enc([&](mp::Packer& pk) {
        pk.pack_array(4);
        pk.pack(1);
        pk.pack(1);
        pk.pack(-1);
        sender_fields(pk);
      }),
      enc([&](mp::Packer& pk) { pk.pack_map(0); }),
      enc([&](mp::Packer& pk) { pk.pack(std::string("hello")); }), Bytes{}, Bytes{0xc1},
      // An array header that claims 2^32-1 elements, a bin header that claims 4 GiB.
      Bytes{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
      Bytes{0x95, 0x01, 0x0a, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff},
      Bytes{0x94, 0x01, 0x01, 0x07, 0xde, 0x00, 0x01, 0x01, 0x01},  // a map
  };
  for (auto& b : bad) {
    CAPTURE(to_hex(b));
    auto d = Message::decode(b);
    REQUIRE_FALSE(d.ok());
    CHECK(d.code() == Errc::corrupt);
  }
  // A summary fan-out out of range (only 2..64 parts).
  for (uint64_t parts_log2 : {uint64_t(0), uint64_t(7), uint64_t(121), uint64_t(1) << 31}) {
    auto m = enc([&](mp::Packer& pk) {
      pk.pack_array(7);
      pk.pack(1);
      pk.pack(14);
      pk.pack(1);
      sender_fields(pk);
      mp::pack_bin(pk, filled_id(1).view());
      mp::pack_bin(pk, filled_id(2).view());
      pk.pack(parts_log2);
    });
    CHECK(Message::decode(m).code() == Errc::corrupt);
  }
  // An unknown error code in an error response.
  auto unknown_code = enc([&](mp::Packer& pk) {
    pk.pack_array(6);
    pk.pack(1);
    pk.pack(22);
    pk.pack(1);
    sender_fields(pk);
    pk.pack(999);
    pk.pack(std::string("x"));
  });
  CHECK(Message::decode(unknown_code).code() == Errc::corrupt);
  // A status with a state name too long, and one with a count that is not an unsigned integer.
  auto status_with = [&](const std::string& state, int64_t blocks) {
    return enc([&](mp::Packer& pk) {
      pk.pack_array(22);
      pk.pack(1);
      pk.pack(24);
      pk.pack(1);
      sender_fields(pk);
      sender_fields(pk);
      pk.pack(state);
      pk.pack_nil();
      pk.pack_array(0);
      pk.pack(blocks);
      for (int i = 0; i < 13; ++i) pk.pack(0);
    });
  };
  CHECK(Message::decode(status_with("member", 1)).ok());
  CHECK(Message::decode(status_with(std::string(kMaxStateName + 1, 'x'), 1)).code() ==
        Errc::corrupt);
  CHECK(Message::decode(status_with("member", -1)).code() == Errc::corrupt);
  // Records of a kind that is no record kind (a block, or unknown), and an entry of an unknown
  // kind.
  for (uint64_t kind : {uint64_t(0), uint64_t(1), uint64_t(5), uint64_t(258)}) {
    CAPTURE(kind);
    auto get = enc([&](mp::Packer& pk) {
      pk.pack_array(6);
      pk.pack(1);
      pk.pack(27);
      pk.pack(1);
      sender_fields(pk);
      pk.pack(kind);
      mp::pack_bin(pk, filled_id(1).view());
    });
    CHECK(Message::decode(get).code() == Errc::corrupt);
    if (kind == 1) continue;  // a block entry is fine
    auto list = enc([&](mp::Packer& pk) {
      pk.pack_array(6);
      pk.pack(1);
      pk.pack(17);
      pk.pack(1);
      sender_fields(pk);
      pk.pack_array(1);
      pk.pack_array(4);
      pk.pack(kind);
      mp::pack_bin(pk, filled_id(1).view());
      mp::pack_bin(pk, filled_id(2).view());
      mp::pack_bin(pk, ByteView(Fingerprint{}.data(), Fingerprint{}.size()));
      pk.pack(false);
    });
    CHECK(Message::decode(list).code() == Errc::corrupt);
  }
  // More records than a message may carry.
  auto many = enc([&](mp::Packer& pk) {
    pk.pack_array(5);
    pk.pack(1);
    pk.pack(28);
    pk.pack(1);
    sender_fields(pk);
    pk.pack_array(uint32_t(kMaxRecordsPerMessage + 1));
    for (size_t i = 0; i <= kMaxRecordsPerMessage; ++i) mp::pack_bin(pk, Bytes{1});
  });
  CHECK(Message::decode(many).code() == Errc::corrupt);
}

TEST_CASE("message fuzz: truncations, bit flips and random bytes never crash") {
  uint64_t seed = sim::seed_or(1);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  std::mt19937_64 rng(seed);
  size_t ok = 0, corrupt = 0;
  for (auto& m : samples()) {
    Bytes b = m.encode();
    // Every strict prefix is a truncated message.
    for (size_t n = 0; n < b.size(); ++n) {
      auto d = Message::decode(ByteView(b.data(), n));
      REQUIRE_FALSE(d.ok());
      CHECK(d.code() == Errc::corrupt);
    }
    // Trailing garbage.
    Bytes longer = b;
    longer.push_back(0);
    CHECK(Message::decode(longer).code() == Errc::corrupt);
    // Random flips.
    for (int k = 0; k < 300; ++k) {
      Bytes f = b;
      int flips = 1 + int(rng() % 4);
      for (int j = 0; j < flips; ++j) f[rng() % f.size()] ^= uint8_t(1 + rng() % 255);
      auto d = Message::decode(f);
      if (d.ok())
        ++ok;
      else {
        ++corrupt;
        CHECK(d.code() == Errc::corrupt);
      }
    }
  }
  for (int k = 0; k < 20000; ++k) {
    Bytes r(rng() % 200);
    for (auto& x : r) x = uint8_t(rng());
    // Half of them start like a message, to get past the first checks.
    if (r.size() > 4 && k % 2) {
      r[0] = uint8_t(0x94 + rng() % 4);
      r[1] = 0x01;
      r[2] = uint8_t(1 + rng() % 22);
    }
    auto d = Message::decode(r);
    if (d.ok())
      ++ok;
    else {
      ++corrupt;
      CHECK(d.code() == Errc::corrupt);
    }
  }
  MESSAGE("fuzz: " << ok << " decoded, " << corrupt << " rejected as corrupt");
  CHECK(corrupt > 0);
}

}  // namespace
}  // namespace peerstore
