// NodeStatus: what `peerstore status --json` prints about one running node, and a strict parser
// for that one-line flat JSON object (strings, integers, null, booleans and arrays of strings;
// no nested objects, no fractions, no duplicate keys, nothing after the object). Fields the
// tests do not know are accepted and ignored, so the tool may add some. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerstore::test {

struct NodeStatus {
  std::string id;                          // hex
  std::string address;                     // HOST:PORT
  std::string state;                       // "member" once joined
  std::optional<std::string> predecessor;  // "hex@HOST:PORT"
  std::vector<std::string> successors;     // "hex@HOST:PORT", nearest first
  int64_t blocks = 0;
  int64_t head_sets = 0;
  int64_t below_target = 0;
  int64_t pending_uploads = 0;
  int64_t uptime_ms = 0;
  std::string json;  // the object as printed, for failure messages
};

// nullopt on anything else than exactly one such object (surrounding whitespace allowed), with a
// sentence saying what and where in *error.
std::optional<NodeStatus> parse_node_status(std::string_view text, std::string* error);

// The id and the address of a "hex@HOST:PORT" node reference.
std::string ref_id(std::string_view ref);
std::string ref_address(std::string_view ref);

}  // namespace peerstore::test
