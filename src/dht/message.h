// Message: the DHT wire protocol, one msgpack array per message:
//   [protocol_version = 1, type, request_id, [sender_id(bin32), sender_addr(str)], fields...]
// A response carries the request_id of its request. The fields of each type:
//   1 ping            -                       2 pong        -
//   3 get_neighbors   -                       4 neighbors   pred|nil, [succ...], [pred...],
//   store_full 5 notify          - (the sender is the candidate predecessor) 6 find key(bin32) 7
//   found       done(bool), [node...] 8 get_block       id(bin32)               9 block
//   bytes(bin)|nil
//  10 put_block       id(bin32), bytes(bin)
//  11 get_heads       volume(bin32)          12 heads       [head(bin)...]
//  13 put_heads       volume(bin32), [head(bin)...]
//  14 summarize       lo, hi, parts_log2     15 summary     [[count, fingerprint(bin16)]...]
//  16 list_keys       lo, hi, limit          17 key_list    [entry...], truncated(bool)
//  18 offer           [entry...]             19 want        [index...]
//  20 leaving         pred|nil, [succ...]
//  21 ok              -                      22 error       code(uint), text(str)
//  23 get_status      -                      24 status      node, state(str), pred|nil,
//     [succ...], blocks, head_sets, block_bytes, below_target, pending_uploads, uptime_ms,
//     longest_short_ms (uints)
//  25 watch_heads     key(bin32)   (tell me when the record set at this DHT key changes, for a
//                                   while: a volume's heads, a user's inbox)
//  26 heads_changed   key(bin32)   (a watched record set changed; answered with ok)
//  27 get_records     kind, owner(bin32)     28 records     [record(bin)...]
//  29 put_records     kind, owner(bin32), [record(bin)...]
//     (a signed record set of a record kind, dht/record_kind.h: heads, inbox; its DHT key is
//     RecordSet::key_for(kind, owner))
// where a node is [id(bin32), addr(str)] and an entry is
// [kind, key(bin32), owner(bin32)|nil, fingerprint(bin16)]: the owner (the volume of heads, the
// user of an inbox) for a record kind, nil for a block.
// encode() never fails; decode() caps every size before allocating and turns anything
// malformed (bad msgpack, unknown version or type, wrong field) into Errc::corrupt.
// Value types; not synchronized.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "dht/node_ref.h"
#include "store/block_store.h"

namespace peerstore {

inline constexpr uint64_t kProtocolVersion = 1;
// The largest message: a put_block of the largest block, plus room for the envelope; or a full
// inbox (dht/record_kind.h).
inline constexpr size_t kMaxMessageSize = kMaxBlockSize + 8192;
inline constexpr size_t kMaxNodesPerMessage = 64;
inline constexpr size_t kMaxEntriesPerMessage = 1024;
inline constexpr size_t kMaxHeadsPerMessage = 64;
inline constexpr size_t kMaxHeadSize = 256 * 1024;
// get_records/records/put_records: at most this many records of at most kMaxHeadSize each.
inline constexpr size_t kMaxRecordsPerMessage = 256;
inline constexpr size_t kMaxSummaryParts = 64;
inline constexpr size_t kMaxErrorText = 200;
inline constexpr size_t kMaxStateName = 16;

using Fingerprint = std::array<uint8_t, 16>;

// What a DHT key holds: a block, or a mergeable record set of a record kind (RecordSet): a
// volume's heads, a user's inbox, the claims on a block (at the block's own key).
enum class KeyKind : uint8_t { block = 1, heads = 2, inbox = 3, claims = 4 };
inline bool is_record_kind(KeyKind k) {
  return k == KeyKind::heads || k == KeyKind::inbox || k == KeyKind::claims;
}

// One stored key as repair exchanges it: the content fingerprint tells equal copies apart
// from differing head sets without shipping the heads.
struct KeyEntry {
  KeyKind kind = KeyKind::block;
  Id256 key;
  Id256 volume;  // the owner of a record (a volume, a user, a claimed block); zero for a block
  Fingerprint fp{};
  bool operator==(const KeyEntry&) const = default;
};

// Summary of the keys of one range: how many, and the XOR of their fingerprints.
struct RangeDigest {
  uint64_t count = 0;
  Fingerprint fp{};
  bool operator==(const RangeDigest&) const = default;
};

namespace msg {
struct Ping {};
struct Pong {};
struct GetNeighbors {};
struct Neighbors {
  std::optional<NodeRef> pred;
  std::vector<NodeRef> succs;
  std::vector<NodeRef> preds;
  // The answering node's store refuses new blocks (ReplicaStore::refusing_blocks): its
  // successor then repairs the node's range for it (docs/dht.md, Routing around a full node).
  bool store_full = false;
};
struct Notify {};
struct Find {
  Id256 key;
};
struct Found {
  bool done = false;  // nodes are the key's successors (true) or closer nodes to ask (false)
  std::vector<NodeRef> nodes;
};
struct GetBlock {
  Id256 id;
};
struct Block {
  std::optional<Bytes> data;
};  // nullopt: not stored here
struct PutBlock {
  Id256 id;
  Bytes data;
};
struct GetHeads {
  Id256 volume;
};
struct Heads {
  std::vector<Bytes> heads;
};
struct PutHeads {
  Id256 volume;
  std::vector<Bytes> heads;
};
struct Summarize {
  Id256 lo, hi;
  uint32_t parts_log2 = 4;
};
struct Summary {
  std::vector<RangeDigest> parts;
};
struct ListKeys {
  Id256 lo, hi;
  uint32_t limit = 0;
};
struct KeyList {
  std::vector<KeyEntry> entries;
  bool truncated = false;
};
struct Offer {
  std::vector<KeyEntry> entries;
};
struct Want {
  std::vector<uint32_t> indices;
};
struct Leaving {
  std::optional<NodeRef> pred;
  std::vector<NodeRef> succs;
};
struct Ok {};
struct Error {
  Errc code = Errc::unavailable;
  std::string text;
};
struct GetStatus {};
struct WatchHeads {
  Id256 key;  // RecordSet::key_for(kind, owner)
};
struct HeadsChanged {
  Id256 key;
};
struct GetRecords {
  KeyKind kind = KeyKind::heads;
  Id256 owner;
};
struct Records {
  std::vector<Bytes> records;
};
struct PutRecords {
  KeyKind kind = KeyKind::heads;
  Id256 owner;
  std::vector<Bytes> records;
};
// What `peerstore status` shows of one node.
struct NodeStatus {
  NodeRef self;
  std::string state;  // idle, joining, member, leaving, left
  std::optional<NodeRef> predecessor;
  std::vector<NodeRef> successors;
  uint64_t blocks = 0, head_sets = 0, block_bytes = 0;
  // Keys of (pred, self] that this node's last repair sessions left short of a copy.
  uint64_t below_target = 0;
  uint64_t pending_uploads = 0;  // reported by the hosting process (its mount's upload queue)
  uint64_t uptime_ms = 0;
  // The longest time one of this node's writes spent at its write quorum, below its full count.
  uint64_t longest_short_ms = 0;
  // What the node's store can still take, and what it can hold at most (its disk, or the
  // capacity it was given), in bytes.
  uint64_t store_free = 0, store_total = 0;
  // Blocks no claimant needs any more: bytes still held for their grace, and blocks erased.
  uint64_t reclaimable_bytes = 0, released_blocks = 0;
  // The hosting mount's collector (docs/lifecycle.md): when its last run that succeeded ended
  // (wall clock, ns; 0: none yet), what that run gave back (local copies erased and claims
  // cancelled), and how many runs failed since the mount started.
  uint64_t last_collection_ns = 0, last_collection_freed = 0, collection_failures = 0;
};
}  // namespace msg

// The variant's index + 1 is the wire type.
using Body = std::variant<msg::Ping, msg::Pong, msg::GetNeighbors, msg::Neighbors, msg::Notify,
                          msg::Find, msg::Found, msg::GetBlock, msg::Block, msg::PutBlock,
                          msg::GetHeads, msg::Heads, msg::PutHeads, msg::Summarize, msg::Summary,
                          msg::ListKeys, msg::KeyList, msg::Offer, msg::Want, msg::Leaving, msg::Ok,
                          msg::Error, msg::GetStatus, msg::NodeStatus, msg::WatchHeads,
                          msg::HeadsChanged, msg::GetRecords, msg::Records, msg::PutRecords>;

// How many message types there are, and each one's name by its variant index ("get_block");
// nullptr past the end.
inline constexpr size_t kMessageTypes = std::variant_size_v<Body>;
const char* message_type_name(size_t index);

// Drops heads from the end of `heads` until they fit in one message (and kMaxHeadsPerMessage).
// A head set that large is pathological; the canonical order keeps the choice deterministic.
void trim_heads_to_message(std::vector<Bytes>& heads);
// The same for a records message (kMaxRecordsPerMessage).
void trim_records_to_message(std::vector<Bytes>& records);

struct Message {
  uint64_t request_id = 0;
  NodeRef sender;
  Body body;

  uint32_t type() const { return uint32_t(body.index()) + 1; }
  // Responses complete a pending call; everything else is a request.
  bool is_response() const;
  const char* type_name() const;

  // An encoding is sized for its bins plus slack, so the record layer's tag (at most
  // kEncodeSlack bytes) fits after it without a copy; a message of many small parts may still
  // grow on the way.
  static constexpr size_t kEncodeSlack = 64;
  Bytes encode() const;
  // The same without a Message to hold the body: a body sent to several peers stays shared.
  static Bytes encode(uint64_t request_id, const NodeRef& sender, const Body& body);
  static Result<Message> decode(ByteView bytes);
};

}  // namespace peerstore
