// Fuzz target: Message::decode, the DHT's RPC messages as they arrive in a frame. Whatever
// decodes must re-encode to bytes that decode to the same message: encode(decode(e)) == e for
// e = encode(m).
#include <cstdio>

#include "dht/message.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace {

Id256 id_of(uint8_t fill) {
  Id256 id;
  id.b.fill(fill);
  return id;
}

NodeRef node(uint8_t n) {
  return NodeRef{id_of(n), "127.0.0." + std::to_string(n) + ":3000"};
}

KeyEntry entry(KeyKind kind, uint8_t n) {
  KeyEntry e{kind, id_of(n), is_record_kind(kind) ? id_of(n + 1) : Id256{}, {}};
  e.fp.fill(n);
  return e;
}

}  // namespace

namespace peerstore::fuzz {
// One message of every type, with the fields the Chord node really sends.
void make_seeds(Seeds& seeds) {
  Bytes block(300, 0xab);
  Bytes head(180, 0x5c);
  std::vector<Body> bodies = {
      msg::Ping{},
      msg::Pong{},
      msg::GetNeighbors{},
      msg::Neighbors{node(2), {node(3), node(4)}, {node(1)}},
      msg::Notify{},
      msg::Find{id_of(7)},
      msg::Found{true, {node(5), node(6)}},
      msg::GetBlock{id_of(8)},
      msg::Block{block},
      msg::PutBlock{id_of(9), block},
      msg::GetHeads{id_of(10)},
      msg::Heads{{head, head}},
      msg::PutHeads{id_of(11), {head}},
      msg::Summarize{id_of(1), id_of(200), 4},
      msg::Summary{{RangeDigest{3, {}}, RangeDigest{0, {}}}},
      msg::ListKeys{id_of(1), id_of(200), 512},
      msg::KeyList{
          {entry(KeyKind::block, 20), entry(KeyKind::heads, 30), entry(KeyKind::inbox, 35)}, true},
      msg::Offer{{entry(KeyKind::block, 40), entry(KeyKind::heads, 50)}},
      msg::Want{{0, 1, 7}},
      msg::Leaving{node(2), {node(3)}},
      msg::Ok{},
      msg::Error{Errc::not_found, "block 0123456789ab"},
      msg::GetStatus{},
      msg::NodeStatus{node(1),
                      "member",
                      node(9),
                      {node(2)},
                      10,
                      2,
                      4096,
                      1,
                      3,
                      60000,
                      250,
                      1 << 30,
                      uint64_t(1) << 40,
                      5 << 20,
                      12},
      msg::WatchHeads{id_of(7)},
      msg::HeadsChanged{id_of(7)},
      msg::GetRecords{KeyKind::inbox, id_of(12)},
      msg::Records{{head, head}},
      msg::PutRecords{KeyKind::inbox, id_of(13), {head}},
  };
  for (size_t i = 0; i < bodies.size(); ++i) {
    Message m{1000 + i, node(1), bodies[i]};
    seeds.add(std::string("type-") + std::to_string(m.type()) + "-" + m.type_name(), m.encode());
  }
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = Message::decode(ByteView(data, size));
  if (!m) {
    fuzz::check(m.code() == Errc::corrupt, "a message decoder error other than corrupt");
    return 0;
  }
  Bytes once = m->encode();
  auto again = Message::decode(once);
  fuzz::check(again.ok(), "a decoded message re-encodes to bytes that do not decode");
  fuzz::check(again->type() == m->type() && again->request_id == m->request_id &&
                  again->sender == m->sender,
              "a re-encoded message decodes to another header");
  fuzz::check(again->encode() == once, "a re-encoded message decodes to another message");
  return 0;
}
