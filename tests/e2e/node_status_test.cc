// The status parser the e2e tests rely on (tests/support/node_status.h): what it accepts and
// what it refuses. Needs nothing.
#include "support/node_status.h"

#include <doctest/doctest.h>

namespace peerstore::test {

TEST_CASE("node status: a well-formed line parses") {
  std::string line =
      R"({"id":"ab01","address":"127.0.0.1:4001","state":"member","predecessor":"ff00@127.0.0.1:4002",)"
      R"("successors":["cd02@127.0.0.1:4003","ef03@127.0.0.1:4004"],"blocks":12,"head_sets":1,)"
      R"("below_target":0,"pending_uploads":0,"uptime_ms":12345,"extra":true})"
      "\n";
  std::string error;
  auto st = parse_node_status(line, &error);
  REQUIRE_MESSAGE(st.has_value(), error);
  CHECK(st->id == "ab01");
  CHECK(st->address == "127.0.0.1:4001");
  CHECK(st->state == "member");
  CHECK(st->predecessor == std::optional<std::string>("ff00@127.0.0.1:4002"));
  REQUIRE(st->successors.size() == 2);
  CHECK(ref_id(st->successors[1]) == "ef03");
  CHECK(ref_address(st->successors[1]) == "127.0.0.1:4004");
  CHECK(st->blocks == 12);
  CHECK(st->uptime_ms == 12345);
  CHECK(st->json == line.substr(0, line.size() - 1));

  auto alone = parse_node_status(
      R"( { "id" : "ab", "address":"a:1", "state":"joining", "predecessor":null, "successors":[],)"
      R"( "blocks":0, "head_sets":0, "below_target":3, "pending_uploads":7, "uptime_ms":1 } )",
      &error);
  REQUIRE_MESSAGE(alone.has_value(), error);
  CHECK_FALSE(alone->predecessor.has_value());
  CHECK(alone->successors.empty());
  CHECK(alone->below_target == 3);
}

TEST_CASE("node status: malformed or incomplete lines are refused") {
  const std::string ok_tail =
      R"("successors":[],"blocks":1,"head_sets":0,"below_target":0,"pending_uploads":0,"uptime_ms":5})";
  const std::string head = R"({"id":"ab","address":"a:1","state":"member","predecessor":null,)";
  std::string error;
  REQUIRE(parse_node_status(head + ok_tail, &error).has_value());
  for (std::string bad : {
           std::string(""),
           head + ok_tail + "x",   // trailing text
           head + ok_tail + "{}",  // two objects
           head + R"("successors":[],"blocks":1.5,)" + ok_tail.substr(ok_tail.find("\"head_sets")),
           head + R"("successors":[],"blocks":01,)" + ok_tail.substr(ok_tail.find("\"head_sets")),
           head + R"("successors":[1],)" + ok_tail.substr(ok_tail.find("\"blocks")),
           head + R"("successors":{},)" + ok_tail.substr(ok_tail.find("\"blocks")),
           R"({"id":"ab","id":"ab","address":"a:1","state":"member","predecessor":null,)" + ok_tail,
           R"({"address":"a:1","state":"member","predecessor":null,)" + ok_tail,  // no id
           R"({"id":"ab","address":"a:1","state":"member",)" + ok_tail,           // no predecessor
           R"({"id":7,"address":"a:1","state":"member","predecessor":null,)" + ok_tail,
           R"({"id":"a)"
           "\x01"
           R"(b","address":"a:1","state":"member","predecessor":null,)" +
               ok_tail,
           head + ok_tail.substr(0, ok_tail.size() - 1),  // unterminated
       }) {
    error.clear();
    CHECK_MESSAGE(!parse_node_status(bad, &error).has_value(), "accepted: " << bad);
    CHECK_MESSAGE(!error.empty(), "no error text for: " << bad);
  }
}

}  // namespace peerstore::test
