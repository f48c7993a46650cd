#include "support/tampering_transport.h"

#include "common/log.h"
#include "dht/record_kind.h"
#include "keys/grant.h"
#include "keys/signed_head.h"

namespace peerstore::test {
namespace {

// Where no node listens: a TCP port nobody binds, and no simulator endpoint.
constexpr const char* kNowhere = "127.0.0.1:1";

bool is_status(const Message& m) {
  return std::holds_alternative<msg::GetStatus>(m.body) ||
         std::holds_alternative<msg::NodeStatus>(m.body);
}

}  // namespace

Result<Misbehaviour> parse_misbehaviour(std::string_view name) {
  if (name == "alter-blocks") return Misbehaviour::alter_blocks;
  if (name == "forge-heads") return Misbehaviour::forge_heads;
  if (name == "rollback-heads") return Misbehaviour::rollback_heads;
  if (name == "wrong-successors") return Misbehaviour::wrong_successors;
  if (name == "drop-all") return Misbehaviour::drop_all;
  return fail(Errc::invalid, "unknown mode '" + std::string(name) +
                                 "' (alter-blocks, forge-heads, rollback-heads, "
                                 "wrong-successors, drop-all)");
}

TamperingTransport::TamperingTransport(Transport& inner, Misbehaviour mode, uint64_t seed)
    : inner_(inner), mode_(mode), rng_(seed) {
  if (mode_ == Misbehaviour::drop_all) return;  // armed later, after the join
  armed_ = true;
}

TamperingTransport::~TamperingTransport() {
  inner_.set_receiver(nullptr);
}

void TamperingTransport::set_receiver(Receiver receiver) {
  receiver_ = std::move(receiver);
  if (!receiver_) return inner_.set_receiver(nullptr);
  inner_.set_receiver([this](const std::string& from, const std::optional<Id256>& proven_id,
                             ByteView bytes) { received(from, proven_id, bytes); });
}

void TamperingTransport::received(const std::string& from, const std::optional<Id256>& proven_id,
                                  ByteView bytes) {
  if (auto m = Message::decode(bytes); m && !is_status(*m)) {
    peers_.insert(from);
    note_records_seen(m->body);
    if (auto* f = std::get_if<msg::Find>(&m->body); f && mode_ == Misbehaviour::wrong_successors)
      finds_[{from, m->request_id}] = f->key;
    if (mode_ == Misbehaviour::rollback_heads) {
      if (auto* g = std::get_if<msg::GetHeads>(&m->body))
        records_asked_[{from, m->request_id}] = {KeyKind::heads, g->volume};
      if (auto* g = std::get_if<msg::GetRecords>(&m->body))
        records_asked_[{from, m->request_id}] = {g->kind, g->owner};
    }
  }
  if (receiver_) receiver_(from, proven_id, bytes);
}

void TamperingTransport::send(const std::string& to, Bytes message) {
  auto m = Message::decode(message);
  if (!m || is_status(*m) || !armed_) return inner_.send(to, std::move(message));
  if (self_.empty()) self_ = m->sender;
  if (!tamper_outgoing(to, *m)) {
    first(stats_.dropped, std::string("dropped a ") + m->type_name() + " to " + to);
    return;
  }
  inner_.send(to, m->encode());
}

bool TamperingTransport::tamper_outgoing(const std::string& to, Message& m) {
  switch (mode_) {
    case Misbehaviour::drop_all:
      // Answers nothing; its own requests still go out, so it looks alive to its neighbours.
      return !m.is_response();
    case Misbehaviour::alter_blocks:
      if (auto* b = std::get_if<msg::Block>(&m.body); b && b->data) alter(*b->data);
      if (auto* p = std::get_if<msg::PutBlock>(&m.body)) alter(p->data);
      return true;
    case Misbehaviour::forge_heads:
      if (auto* items = records_of_reply(m.body))
        for (auto& r : *items) r = forge(r);
      if (auto* p = std::get_if<msg::PutHeads>(&m.body))
        for (auto& head : p->heads) head = forge(head);
      if (auto* p = std::get_if<msg::PutRecords>(&m.body))
        for (auto& r : p->records) r = forge(r);
      return true;
    case Misbehaviour::rollback_heads:
      if (auto* items = records_of_reply(m.body)) {
        auto asked = records_asked_.find({to, m.request_id});
        if (asked != records_asked_.end()) {
          auto kept = first_seen_.find(asked->second);
          if (kept != first_seen_.end() && kept->second != *items) {
            *items = kept->second;
            first(stats_.rolled_back, "served rolled-back records");
          }
          records_asked_.erase(asked);
        }
      }
      if (auto* p = std::get_if<msg::PutHeads>(&m.body)) {
        auto kept = first_seen_.find({KeyKind::heads, p->volume});
        if (kept != first_seen_.end() && kept->second != p->heads) {
          p->heads = kept->second;
          first(stats_.rolled_back, "pushed rolled-back heads");
        }
      }
      if (auto* p = std::get_if<msg::PutRecords>(&m.body)) {
        auto kept = first_seen_.find({p->kind, p->owner});
        if (kept != first_seen_.end() && kept->second != p->records) {
          p->records = kept->second;
          first(stats_.rolled_back, "pushed rolled-back records");
        }
      }
      return true;
    case Misbehaviour::wrong_successors:
      if (auto* nb = std::get_if<msg::Neighbors>(&m.body)) {
        nb->succs = lies(self_, nb->succs.size() + 1, true);
        nb->preds = lies(self_, nb->preds.size() + 1, false);
        nb->pred = nb->preds.front();
        first(stats_.lies, "lied about its neighbours");
      }
      if (auto* f = std::get_if<msg::Found>(&m.body)) {
        auto key = finds_.find({to, m.request_id});
        // Claim to know the key's successors, with ids that pass the asker's sanity check.
        NodeRef around = key == finds_.end() ? self_ : NodeRef{key->second, self_.addr};
        f->done = true;
        f->nodes = lies(around, std::max<size_t>(f->nodes.size(), 3), true);
        if (key != finds_.end()) finds_.erase(key);
        first(stats_.lies, "lied about a key's successors");
      }
      if (auto* l = std::get_if<msg::Leaving>(&m.body)) l->succs = lies(self_, 3, true);
      return true;
  }
  return true;
}

void TamperingTransport::alter(Bytes& block) {
  if (block.empty()) return;
  block[rng_() % block.size()] ^= 0x5a;
  first(stats_.altered, "altered a block");
}

void TamperingTransport::first(uint64_t& counter, const std::string& what) {
  if (counter++ == 0) log::info("malicious node: " + what + " (the first time)");
}

Bytes TamperingTransport::forge(ByteView encoded) {
  first(stats_.forged, "forged a record");
  if (auto g = Grant::decode(encoded)) {
    // A grant that would replace every real one in its slot, and a share it never made.
    g->epoch += 1000;
    g->time_ns += 1'000'000'000;
    return g->encode();
  }
  auto h = Head::decode(encoded);
  if (!h) {
    Bytes b(encoded.begin(), encoded.end());
    if (!b.empty()) b.back() ^= 1;
    return b;
  }
  // A head that would dominate every real one, if only its signature verified.
  for (auto& [device, counter] : h->clock) counter += 1000;
  h->time_ns += 1'000'000'000;
  return h->encode();
}

std::vector<NodeRef> TamperingTransport::lies(const NodeRef& around, size_t count, bool after) {
  // Three kinds of lie in turn: made-up ids at the addresses of real peers, made-up ids where
  // nobody listens, and this node everywhere. The made-up ids sit right next to `around`, in
  // ring order, so they pass every ordering check.
  std::vector<NodeRef> out;
  unsigned kind = lie_kind_++ % 3;
  std::vector<std::string> addrs(peers_.begin(), peers_.end());
  for (size_t i = 0; i < count; ++i) {
    if (kind == 2) {
      out.push_back(self_);
      continue;
    }
    Id256 id = around.id;
    uint64_t step = (i + 1) * 1000 + rng_() % 1000;
    uint64_t low = get_u64be(id.b.data() + 24);
    put_u64be(id.b.data() + 24, after ? low + step : low - step);
    std::string addr = kind == 1 || addrs.empty() ? kNowhere : addrs[rng_() % addrs.size()];
    out.push_back(NodeRef{id, addr});
  }
  return out;
}

void TamperingTransport::note_records_seen(const Body& body) {
  if (auto* p = std::get_if<msg::PutHeads>(&body)) remember({KeyKind::heads, p->volume}, p->heads);
  if (auto* p = std::get_if<msg::PutRecords>(&body)) remember({p->kind, p->owner}, p->records);
  // An answer to our own request: the owner is in the records themselves.
  if (auto* h = std::get_if<msg::Heads>(&body); h && !h->heads.empty())
    if (auto head = Head::decode(h->heads.front()))
      remember({KeyKind::heads, head->volume}, h->heads);
  if (auto* r = std::get_if<msg::Records>(&body); r && !r->records.empty())
    if (auto g = Grant::decode(r->records.front()))
      remember({KeyKind::inbox, g->recipient}, r->records);
}

void TamperingTransport::remember(const RecordKey& rk, const std::vector<Bytes>& records) {
  if (records.empty()) return;
  auto [it, is_first] = first_seen_.try_emplace(rk, records);
  if (mode_ == Misbehaviour::forge_heads) {
    std::vector<Bytes> forged;
    for (auto& r : records) forged.push_back(forge(r));
    push(rk, std::move(forged));
  } else if (mode_ == Misbehaviour::rollback_heads && !is_first && it->second != records) {
    push(rk, it->second);  // a newer set went by: push the old one over it
  }
}

void TamperingTransport::push(const RecordKey& rk, std::vector<Bytes> records) {
  if (self_.empty()) return;
  for (auto& peer : peers_) {
    // Request id 0: a request nobody answers, so no reply comes back to confuse our node.
    Message m{0, self_, record_put_request(rk.first, rk.second, records)};
    inner_.send(peer, m.encode());
    first(stats_.pushed, "pushed records to " + peer);
  }
}

}  // namespace peerstore::test
