#include "dht/message.h"

#include <algorithm>

#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

// Packs straight into the message's bytes: a block's bytes are copied once per message, and
// reserved room (Message::kEncodeSlack) lets the record layer append its tag in place.
struct FrameStream {
  Bytes& out;
  void write(const char* p, size_t n) {
    auto* b = reinterpret_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
};
using Packer = msgpack::packer<FrameStream>;

void pack_bin(Packer& pk, ByteView b) {
  pk.pack_bin(uint32_t(b.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), uint32_t(b.size()));
}

size_t sum_sizes(const std::vector<Bytes>& v) {
  size_t n = 0;
  for (auto& b : v) n += b.size();
  return n;
}

// The bytes a body carries in bins: most of a large message, so its encoding is sized once.
size_t bin_bytes(const Body& body) {
  if (auto* p = std::get_if<msg::PutBlock>(&body)) return p->data.size();
  if (auto* b = std::get_if<msg::Block>(&body)) return b->data ? b->data->size() : 0;
  if (auto* h = std::get_if<msg::PutHeads>(&body)) return sum_sizes(h->heads);
  if (auto* h = std::get_if<msg::Heads>(&body)) return sum_sizes(h->heads);
  if (auto* r = std::get_if<msg::PutRecords>(&body)) return sum_sizes(r->records);
  if (auto* r = std::get_if<msg::Records>(&body)) return sum_sizes(r->records);
  return 0;
}

constexpr const char* kTypeNames[] = {"ping",        "pong",          "get_neighbors", "neighbors",
                                      "notify",      "find",          "found",         "get_block",
                                      "block",       "put_block",     "get_heads",     "heads",
                                      "put_heads",   "summarize",     "summary",       "list_keys",
                                      "key_list",    "offer",         "want",          "leaving",
                                      "ok",          "error",         "get_status",    "status",
                                      "watch_heads", "heads_changed", "get_records",   "records",
                                      "put_records"};
static_assert(std::size(kTypeNames) == std::variant_size_v<Body>);

// ---- encoding ----

void pack_id(Packer& pk, const Id256& id) {
  pack_bin(pk, id.view());
}

void pack_str(Packer& pk, const std::string& s) {
  pk.pack_str(uint32_t(s.size()));
  pk.pack_str_body(s.data(), uint32_t(s.size()));
}

void pack_node(Packer& pk, const NodeRef& n) {
  pk.pack_array(2);
  pack_id(pk, n.id);
  pack_str(pk, n.addr);
}

void pack_opt_node(Packer& pk, const std::optional<NodeRef>& n) {
  if (n)
    pack_node(pk, *n);
  else
    pk.pack_nil();
}

void pack_nodes(Packer& pk, const std::vector<NodeRef>& v) {
  pk.pack_array(uint32_t(v.size()));
  for (auto& n : v) pack_node(pk, n);
}

void pack_fp(Packer& pk, const Fingerprint& fp) {
  pack_bin(pk, ByteView(fp.data(), fp.size()));
}

void pack_entries(Packer& pk, const std::vector<KeyEntry>& v) {
  pk.pack_array(uint32_t(v.size()));
  for (auto& e : v) {
    pk.pack_array(4);
    pk.pack(uint32_t(e.kind));
    pack_id(pk, e.key);
    if (is_record_kind(e.kind))
      pack_id(pk, e.volume);
    else
      pk.pack_nil();
    pack_fp(pk, e.fp);
  }
}

void pack_bins(Packer& pk, const std::vector<Bytes>& v) {
  pk.pack_array(uint32_t(v.size()));
  for (auto& b : v) pack_bin(pk, b);
}

struct BodyPacker {
  Packer& pk;
  void operator()(const msg::Ping&) {}
  void operator()(const msg::Pong&) {}
  void operator()(const msg::GetNeighbors&) {}
  void operator()(const msg::Neighbors& m) {
    pack_opt_node(pk, m.pred);
    pack_nodes(pk, m.succs);
    pack_nodes(pk, m.preds);
    pk.pack(m.store_full);
  }
  void operator()(const msg::Notify&) {}
  void operator()(const msg::Find& m) { pack_id(pk, m.key); }
  void operator()(const msg::Found& m) {
    pk.pack(m.done);
    pack_nodes(pk, m.nodes);
  }
  void operator()(const msg::GetBlock& m) { pack_id(pk, m.id); }
  void operator()(const msg::Block& m) {
    if (m.data)
      pack_bin(pk, *m.data);
    else
      pk.pack_nil();
  }
  void operator()(const msg::PutBlock& m) {
    pack_id(pk, m.id);
    pack_bin(pk, m.data);
  }
  void operator()(const msg::GetHeads& m) { pack_id(pk, m.volume); }
  void operator()(const msg::Heads& m) { pack_bins(pk, m.heads); }
  void operator()(const msg::PutHeads& m) {
    pack_id(pk, m.volume);
    pack_bins(pk, m.heads);
  }
  void operator()(const msg::Summarize& m) {
    pack_id(pk, m.lo);
    pack_id(pk, m.hi);
    pk.pack(m.parts_log2);
  }
  void operator()(const msg::Summary& m) {
    pk.pack_array(uint32_t(m.parts.size()));
    for (auto& d : m.parts) {
      pk.pack_array(2);
      pk.pack(d.count);
      pack_fp(pk, d.fp);
    }
  }
  void operator()(const msg::ListKeys& m) {
    pack_id(pk, m.lo);
    pack_id(pk, m.hi);
    pk.pack(m.limit);
  }
  void operator()(const msg::KeyList& m) {
    pack_entries(pk, m.entries);
    pk.pack(m.truncated);
  }
  void operator()(const msg::Offer& m) { pack_entries(pk, m.entries); }
  void operator()(const msg::Want& m) {
    pk.pack_array(uint32_t(m.indices.size()));
    for (auto i : m.indices) pk.pack(i);
  }
  void operator()(const msg::Leaving& m) {
    pack_opt_node(pk, m.pred);
    pack_nodes(pk, m.succs);
  }
  void operator()(const msg::Ok&) {}
  void operator()(const msg::Error& m) {
    pk.pack(uint32_t(m.code));
    pack_str(pk, m.text.size() > kMaxErrorText ? m.text.substr(0, kMaxErrorText) : m.text);
  }
  void operator()(const msg::GetStatus&) {}
  void operator()(const msg::WatchHeads& m) { pack_id(pk, m.key); }
  void operator()(const msg::HeadsChanged& m) { pack_id(pk, m.key); }
  void operator()(const msg::GetRecords& m) {
    pk.pack(uint32_t(m.kind));
    pack_id(pk, m.owner);
  }
  void operator()(const msg::Records& m) { pack_bins(pk, m.records); }
  void operator()(const msg::PutRecords& m) {
    pk.pack(uint32_t(m.kind));
    pack_id(pk, m.owner);
    pack_bins(pk, m.records);
  }
  void operator()(const msg::NodeStatus& m) {
    pack_node(pk, m.self);
    pack_str(pk, m.state.substr(0, kMaxStateName));
    pack_opt_node(pk, m.predecessor);
    pack_nodes(pk, m.successors);
    for (uint64_t n :
         {m.blocks, m.head_sets, m.block_bytes, m.below_target, m.pending_uploads, m.uptime_ms,
          m.longest_short_ms, m.store_free, m.store_total, m.reclaimable_bytes, m.released_blocks,
          m.last_collection_ns, m.last_collection_freed, m.collection_failures})
      pk.pack(n);
  }
};

constexpr size_t kFieldCount[] = {0, 0, 0, 4,  0,   // ping pong get_neighbors neighbors notify
                                  1, 2, 1, 1,  2,   // find found get_block block put_block
                                  1, 1, 2, 3,  1,   // get_heads heads put_heads summarize summary
                                  3, 2, 1, 1,  2,   // list_keys key_list offer want leaving
                                  0, 2, 0, 18,      // ok error get_status status
                                  1, 1, 2, 1,  3};  // watch_heads heads_changed get_records
                                                    // records put_records
static_assert(std::size(kFieldCount) == std::variant_size_v<Body>);
constexpr size_t kMaxFields = *std::max_element(std::begin(kFieldCount), std::end(kFieldCount));
constexpr size_t kHeader = 4;

// ---- decoding ----

Result<Id256> get_id(const mp::Object& o) {
  PS_ASSIGN(auto b, mp::get_bin(o));
  return Id256::from(b);
}

Result<bool> get_bool(const mp::Object& o) {
  if (o.type != msgpack::type::BOOLEAN) return fail(Errc::corrupt, "expected a boolean");
  return o.via.boolean;
}

Result<std::string> get_str(const mp::Object& o, size_t max) {
  if (o.type != msgpack::type::STR) return fail(Errc::corrupt, "expected a string");
  if (o.via.str.size > max) return fail(Errc::corrupt, "string too long");
  return std::string(o.via.str.ptr, o.via.str.size);
}

Result<uint32_t> get_u32(const mp::Object& o) {
  PS_ASSIGN(auto v, mp::get_u64(o));
  if (v > UINT32_MAX) return fail(Errc::corrupt, "integer out of range");
  return uint32_t(v);
}

Result<Fingerprint> get_fp(const mp::Object& o) {
  PS_ASSIGN(auto b, mp::get_bin(o));
  if (b.size() != Fingerprint{}.size()) return fail(Errc::corrupt, "fingerprint size");
  Fingerprint fp;
  std::copy(b.begin(), b.end(), fp.begin());
  return fp;
}

Result<NodeRef> get_node(const mp::Object& o) {
  PS_ASSIGN(auto a, mp::get_array(o, 2, 2));
  NodeRef n;
  PS_ASSIGN(n.id, get_id(a[0]));
  PS_ASSIGN(n.addr, get_str(a[1], kMaxAddressSize));
  if (n.addr.empty()) return fail(Errc::corrupt, "empty node address");
  return n;
}

Result<std::optional<NodeRef>> get_opt_node(const mp::Object& o) {
  if (mp::is_nil(o)) return std::optional<NodeRef>{};
  PS_ASSIGN(auto n, get_node(o));
  return std::optional<NodeRef>(std::move(n));
}

Result<std::vector<NodeRef>> get_nodes(const mp::Object& o) {
  PS_ASSIGN(auto a, mp::get_array(o, 0, kMaxNodesPerMessage));
  std::vector<NodeRef> v;
  v.reserve(a.size());
  for (auto& e : a) {
    PS_ASSIGN(auto n, get_node(e));
    v.push_back(std::move(n));
  }
  return v;
}

Result<std::vector<KeyEntry>> get_entries(const mp::Object& o) {
  PS_ASSIGN(auto a, mp::get_array(o, 0, kMaxEntriesPerMessage));
  std::vector<KeyEntry> v;
  v.reserve(a.size());
  for (auto& x : a) {
    PS_ASSIGN(auto f, mp::get_array(x, 4, 4));
    KeyEntry e;
    PS_ASSIGN(auto kind, mp::get_u64(f[0]));
    if (kind > 255 || (kind != uint64_t(KeyKind::block) && !is_record_kind(KeyKind(kind))))
      return fail(Errc::corrupt, "unknown key kind");
    e.kind = KeyKind(kind);
    PS_ASSIGN(e.key, get_id(f[1]));
    if (is_record_kind(e.kind)) {
      PS_ASSIGN(e.volume, get_id(f[2]));
    } else if (!mp::is_nil(f[2])) {
      return fail(Errc::corrupt, "block entry with a volume");
    }
    PS_ASSIGN(e.fp, get_fp(f[3]));
    v.push_back(e);
  }
  return v;
}

Result<std::vector<Bytes>> get_bins(const mp::Object& o, size_t max_count, size_t max_size) {
  PS_ASSIGN(auto a, mp::get_array(o, 0, max_count));
  std::vector<Bytes> v;
  v.reserve(a.size());
  for (auto& x : a) {
    PS_ASSIGN(auto b, mp::get_bin(x));
    if (b.size() > max_size) return fail(Errc::corrupt, "element too big");
    v.emplace_back(b.begin(), b.end());
  }
  return v;
}

Result<KeyKind> get_record_kind(const mp::Object& o) {
  PS_ASSIGN(auto kind, mp::get_u64(o));
  if (kind > 255 || !is_record_kind(KeyKind(kind)))
    return fail(Errc::corrupt, "unknown record kind");
  return KeyKind(kind);
}

Result<Body> decode_body(uint32_t type, const mp::Object* f) {
  switch (type) {
    case 1:
      return Body(msg::Ping{});
    case 2:
      return Body(msg::Pong{});
    case 3:
      return Body(msg::GetNeighbors{});
    case 4: {
      msg::Neighbors m;
      PS_ASSIGN(m.pred, get_opt_node(f[0]));
      PS_ASSIGN(m.succs, get_nodes(f[1]));
      PS_ASSIGN(m.preds, get_nodes(f[2]));
      PS_ASSIGN(m.store_full, get_bool(f[3]));
      return Body(std::move(m));
    }
    case 5:
      return Body(msg::Notify{});
    case 6: {
      msg::Find m;
      PS_ASSIGN(m.key, get_id(f[0]));
      return Body(m);
    }
    case 7: {
      msg::Found m;
      PS_ASSIGN(m.done, get_bool(f[0]));
      PS_ASSIGN(m.nodes, get_nodes(f[1]));
      return Body(std::move(m));
    }
    case 8: {
      msg::GetBlock m;
      PS_ASSIGN(m.id, get_id(f[0]));
      return Body(m);
    }
    case 9: {
      msg::Block m;
      if (!mp::is_nil(f[0])) {
        PS_ASSIGN(auto b, mp::get_bin(f[0]));
        if (b.size() > kMaxBlockSize) return fail(Errc::corrupt, "block too big");
        m.data = Bytes(b.begin(), b.end());
      }
      return Body(std::move(m));
    }
    case 10: {
      msg::PutBlock m;
      PS_ASSIGN(m.id, get_id(f[0]));
      PS_ASSIGN(auto b, mp::get_bin(f[1]));
      if (b.size() > kMaxBlockSize) return fail(Errc::corrupt, "block too big");
      m.data.assign(b.begin(), b.end());
      return Body(std::move(m));
    }
    case 11: {
      msg::GetHeads m;
      PS_ASSIGN(m.volume, get_id(f[0]));
      return Body(m);
    }
    case 12: {
      msg::Heads m;
      PS_ASSIGN(m.heads, get_bins(f[0], kMaxHeadsPerMessage, kMaxHeadSize));
      return Body(std::move(m));
    }
    case 13: {
      msg::PutHeads m;
      PS_ASSIGN(m.volume, get_id(f[0]));
      PS_ASSIGN(m.heads, get_bins(f[1], kMaxHeadsPerMessage, kMaxHeadSize));
      return Body(std::move(m));
    }
    case 14: {
      msg::Summarize m;
      PS_ASSIGN(m.lo, get_id(f[0]));
      PS_ASSIGN(m.hi, get_id(f[1]));
      PS_ASSIGN(m.parts_log2, get_u32(f[2]));
      static_assert(kMaxSummaryParts == 64);
      if (m.parts_log2 < 1 || m.parts_log2 > 6)
        return fail(Errc::corrupt, "summary fan-out out of range");
      return Body(m);
    }
    case 15: {
      msg::Summary m;
      PS_ASSIGN(auto a, mp::get_array(f[0], 0, kMaxSummaryParts));
      for (auto& x : a) {
        PS_ASSIGN(auto p, mp::get_array(x, 2, 2));
        RangeDigest d;
        PS_ASSIGN(d.count, mp::get_u64(p[0]));
        PS_ASSIGN(d.fp, get_fp(p[1]));
        m.parts.push_back(d);
      }
      return Body(std::move(m));
    }
    case 16: {
      msg::ListKeys m;
      PS_ASSIGN(m.lo, get_id(f[0]));
      PS_ASSIGN(m.hi, get_id(f[1]));
      PS_ASSIGN(m.limit, get_u32(f[2]));
      return Body(m);
    }
    case 17: {
      msg::KeyList m;
      PS_ASSIGN(m.entries, get_entries(f[0]));
      PS_ASSIGN(m.truncated, get_bool(f[1]));
      return Body(std::move(m));
    }
    case 18: {
      msg::Offer m;
      PS_ASSIGN(m.entries, get_entries(f[0]));
      return Body(std::move(m));
    }
    case 19: {
      msg::Want m;
      PS_ASSIGN(auto a, mp::get_array(f[0], 0, kMaxEntriesPerMessage));
      for (auto& x : a) {
        PS_ASSIGN(auto i, get_u32(x));
        m.indices.push_back(i);
      }
      return Body(std::move(m));
    }
    case 20: {
      msg::Leaving m;
      PS_ASSIGN(m.pred, get_opt_node(f[0]));
      PS_ASSIGN(m.succs, get_nodes(f[1]));
      return Body(std::move(m));
    }
    case 21:
      return Body(msg::Ok{});
    case 22: {
      msg::Error m;
      PS_ASSIGN(auto code, get_u32(f[0]));
      if (code == 0 || code > uint32_t(Errc::too_big))
        return fail(Errc::corrupt, "unknown error code");
      m.code = Errc(code);
      PS_ASSIGN(m.text, get_str(f[1], kMaxErrorText));
      return Body(std::move(m));
    }
    case 23:
      return Body(msg::GetStatus{});
    case 24: {
      msg::NodeStatus m;
      PS_ASSIGN(m.self, get_node(f[0]));
      PS_ASSIGN(m.state, get_str(f[1], kMaxStateName));
      PS_ASSIGN(m.predecessor, get_opt_node(f[2]));
      PS_ASSIGN(m.successors, get_nodes(f[3]));
      uint64_t* counts[] = {&m.blocks,
                            &m.head_sets,
                            &m.block_bytes,
                            &m.below_target,
                            &m.pending_uploads,
                            &m.uptime_ms,
                            &m.longest_short_ms,
                            &m.store_free,
                            &m.store_total,
                            &m.reclaimable_bytes,
                            &m.released_blocks,
                            &m.last_collection_ns,
                            &m.last_collection_freed,
                            &m.collection_failures};
      for (size_t i = 0; i < std::size(counts); ++i) {
        PS_ASSIGN(*counts[i], mp::get_u64(f[4 + i]));
      }
      return Body(std::move(m));
    }
    case 25: {
      msg::WatchHeads m;
      PS_ASSIGN(m.key, get_id(f[0]));
      return Body(m);
    }
    case 26: {
      msg::HeadsChanged m;
      PS_ASSIGN(m.key, get_id(f[0]));
      return Body(m);
    }
    case 27: {
      msg::GetRecords m;
      PS_ASSIGN(m.kind, get_record_kind(f[0]));
      PS_ASSIGN(m.owner, get_id(f[1]));
      return Body(m);
    }
    case 28: {
      msg::Records m;
      PS_ASSIGN(m.records, get_bins(f[0], kMaxRecordsPerMessage, kMaxHeadSize));
      return Body(std::move(m));
    }
    case 29: {
      msg::PutRecords m;
      PS_ASSIGN(m.kind, get_record_kind(f[0]));
      PS_ASSIGN(m.owner, get_id(f[1]));
      PS_ASSIGN(m.records, get_bins(f[2], kMaxRecordsPerMessage, kMaxHeadSize));
      return Body(std::move(m));
    }
  }
  return fail(Errc::corrupt, "unknown message type " + std::to_string(type));
}

}  // namespace

namespace {
void trim_to_message(std::vector<Bytes>& items, size_t max_count) {
  if (items.size() > max_count) items.resize(max_count);
  size_t total = 0, keep = 0;
  for (; keep < items.size(); ++keep) {
    if (items[keep].size() > kMaxHeadSize) break;
    total += items[keep].size() + 8;
    if (total > kMaxMessageSize - 4096) break;
  }
  items.resize(keep);
}
}  // namespace

void trim_heads_to_message(std::vector<Bytes>& heads) {
  trim_to_message(heads, kMaxHeadsPerMessage);
}

void trim_records_to_message(std::vector<Bytes>& records) {
  trim_to_message(records, kMaxRecordsPerMessage);
}

bool Message::is_response() const {
  switch (body.index() + 1) {
    case 2:
    case 4:
    case 7:
    case 9:
    case 12:
    case 15:
    case 17:
    case 19:
    case 21:
    case 22:
    case 24:
    case 28:
      return true;
  }
  return false;
}

const char* Message::type_name() const {
  return kTypeNames[body.index()];
}

const char* message_type_name(size_t index) {
  return index < std::size(kTypeNames) ? kTypeNames[index] : nullptr;
}

Bytes Message::encode() const {
  return encode(request_id, sender, body);
}

Bytes Message::encode(uint64_t request_id, const NodeRef& sender, const Body& body) {
  Bytes out;
  out.reserve(kEncodeSlack + 2 * kMaxAddressSize + bin_bytes(body) + kEncodeSlack);
  FrameStream stream{out};
  Packer pk(stream);
  pk.pack_array(uint32_t(kHeader + kFieldCount[body.index()]));
  pk.pack(kProtocolVersion);
  pk.pack(uint32_t(body.index()) + 1);
  pk.pack(request_id);
  pack_node(pk, sender);
  std::visit(BodyPacker{pk}, body);
  return out;
}

Result<Message> Message::decode(ByteView bytes) {
  if (bytes.size() > kMaxMessageSize) return fail(Errc::corrupt, "message too big");
  mp::Limits lim;
  lim.array = kMaxEntriesPerMessage;
  lim.map = 0;
  lim.str = kMaxAddressSize;
  lim.bin = kMaxBlockSize;
  lim.ext = 0;
  lim.depth = 4;
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), kHeader, kHeader + kMaxFields));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != kProtocolVersion)
    return fail(Errc::corrupt, "unknown protocol version " + std::to_string(version));
  PS_ASSIGN(auto type, mp::get_u64(a[1]));
  if (type < 1 || type > std::variant_size_v<Body>)
    return fail(Errc::corrupt, "unknown message type " + std::to_string(type));
  if (a.size() != kHeader + kFieldCount[type - 1])
    return fail(Errc::corrupt, std::string(kTypeNames[type - 1]) + " with wrong field count");
  Message m;
  PS_ASSIGN(m.request_id, mp::get_u64(a[2]));
  PS_ASSIGN(m.sender, get_node(a[3]));
  PS_ASSIGN(m.body, decode_body(uint32_t(type), a.data() + kHeader));
  return m;
}

}  // namespace peerstore
