#include "dht/record_kind.h"

#include <cassert>

namespace peerstore {
namespace {

std::variant<HeadSet, InboxSet, ClaimSet> make_set(KeyKind kind, const Id256& owner) {
  assert(RecordSet::is_record(kind));
  if (kind == KeyKind::inbox) return InboxSet(owner);
  if (kind == KeyKind::claims) return ClaimSet();
  return HeadSet(owner);
}

}  // namespace

RecordSet::RecordSet(KeyKind kind, const Id256& owner)
    : kind_(kind), owner_(owner), set_(make_set(kind, owner)) {}

Id256 RecordSet::key_for(KeyKind kind, const Id256& owner) {
  if (kind == KeyKind::claims) return owner;  // on the block's replicas
  return kind == KeyKind::inbox ? InboxSet::key_for(owner) : HeadSet::key_for(owner);
}

Status RecordSet::check(KeyKind kind, const Id256& owner, ByteView encoded) {
  if (kind == KeyKind::claims) {
    PS_ASSIGN(auto c, ClaimSet::decode_claim(encoded));
    (void)c;
    return {};
  }
  if (kind == KeyKind::inbox) {
    PS_ASSIGN(auto g, InboxSet::check(owner, encoded));
    (void)g;
    return {};
  }
  PS_ASSIGN(auto h, HeadSet::check(owner, encoded));
  (void)h;
  return {};
}

Result<bool> RecordSet::add(ByteView encoded) {
  if (auto* claims = std::get_if<ClaimSet>(&set_)) {
    PS_ASSIGN(auto c, ClaimSet::decode_claim(encoded));
    // A replica's own time is not kept with the record (docs/lifecycle.md): the collector
    // measures its grace period from when it first saw a block releasable.
    return claims->merge(c, 0);
  }
  if (auto* inbox = std::get_if<InboxSet>(&set_)) {
    PS_ASSIGN(auto g, InboxSet::check(owner_, encoded));
    return inbox->add(g);
  }
  auto& heads = std::get<HeadSet>(set_);
  PS_ASSIGN(auto h, HeadSet::check(owner_, encoded));
  return heads.add(h);
}

void RecordSet::add_trusted(const std::vector<Bytes>& encoded) {
  std::visit([&](auto& s) { s.add_trusted(encoded); }, set_);
}

bool RecordSet::empty() const {
  return std::visit([](auto& s) { return s.empty(); }, set_);
}

size_t RecordSet::size() const {
  return std::visit([](auto& s) { return s.size(); }, set_);
}

std::vector<Bytes> RecordSet::encoded() const {
  return std::visit([](auto& s) { return s.encoded(); }, set_);
}

Id256 RecordSet::digest() const {
  return std::visit([](auto& s) { return s.digest(); }, set_);
}

Body record_get_request(KeyKind kind, const Id256& owner) {
  if (kind == KeyKind::heads) return msg::GetHeads{owner};
  return msg::GetRecords{kind, owner};
}

Body record_put_request(KeyKind kind, const Id256& owner, std::vector<Bytes> records) {
  trim_records_to_message(kind, records);
  if (kind == KeyKind::heads) return msg::PutHeads{owner, std::move(records)};
  return msg::PutRecords{kind, owner, std::move(records)};
}

std::vector<Bytes>* records_of_reply(Body& body) {
  if (auto* h = std::get_if<msg::Heads>(&body)) return &h->heads;
  if (auto* r = std::get_if<msg::Records>(&body)) return &r->records;
  return nullptr;
}

void trim_records_to_message(KeyKind kind, std::vector<Bytes>& records) {
  if (kind == KeyKind::heads)
    trim_heads_to_message(records);
  else
    trim_records_to_message(records);
}

}  // namespace peerstore
