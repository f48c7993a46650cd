// The mass deletion log (fs/brake_log.h) and the record framing it shares with the conflict log
// (common/record_log.h): golden bytes, round trips, a cut tail reported as damage, the cap on
// records, and a file appended to and read back.
#include "fs/brake_log.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>

#include "common/record_log.h"

namespace peerstore {
namespace {

TEST_CASE("record log: frames, a damaged tail, the cap") {
  Bytes a = frame_record(to_bytes(std::string("ab")));
  CHECK(a == Bytes{0, 0, 0, 2, 'a', 'b'});
  Bytes log = a;
  Bytes b = frame_record(to_bytes(std::string("xyz")));
  log.insert(log.end(), b.begin(), b.end());
  bool damaged = true;
  auto bodies = split_records(log, 16, 10, &damaged);
  REQUIRE(bodies.size() == 2);
  CHECK(!damaged);
  CHECK(std::string(as_chars(bodies[1])) == "xyz");
  CHECK(split_records(ByteView(log).first(log.size() - 1), 16, 10, &damaged).size() == 1);
  CHECK(damaged);
  CHECK(split_records(log, 2, 10, &damaged).size() == 1);  // a body past the cap ends it
  CHECK(damaged);
  bodies = split_records(log, 16, 1, &damaged);  // the newest only
  REQUIRE(bodies.size() == 1);
  CHECK(std::string(as_chars(bodies[0])) == "xyz");
  CHECK(split_records({}, 16, 10, &damaged).empty());
  CHECK(!damaged);
}

TEST_CASE("brake log: golden bytes, round trip, a record that does not decode ends it") {
  BrakeRecord r{"p", 5, 60, 100};
  CHECK(encode_brake(r) == Bytes{0, 0, 0, 7, 0x95, 0x01, 0xa1, 'p', 0x05, 0x3c, 0x64});
  BrakeRecord big{"before-mass-delete-2026-12-06T16-03-52", 1765037032000000000, 1200, 3000};
  Bytes log = encode_brake(big);
  Bytes two = encode_brake(r);
  log.insert(log.end(), two.begin(), two.end());
  bool damaged = true;
  CHECK(decode_brake_log(log, &damaged) == std::vector<BrakeRecord>{big, r});
  CHECK(!damaged);
  Bytes bad = frame_record(Bytes{0x95, 0x02, 0xa1, 'p', 0x05, 0x3c, 0x64});  // version 2
  Bytes with_bad = encode_brake(big);
  with_bad.insert(with_bad.end(), bad.begin(), bad.end());
  with_bad.insert(with_bad.end(), two.begin(), two.end());
  CHECK(decode_brake_log(with_bad, &damaged) == std::vector<BrakeRecord>{big});
  CHECK(damaged);
}

TEST_CASE("brake log: a file appended to and read back; none when missing") {
  char dir[] = "/tmp/brake-log-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string file = std::string(dir) + "/brakes";
  auto none = read_brakes(file);
  REQUIRE(none.ok());
  CHECK(none->empty());
  BrakeRecord r{"before-mass-delete-x", 7, 51, 52};
  REQUIRE(append_brake(file, r).ok());
  REQUIRE(append_brake(file, r).ok());
  auto back = read_brakes(file);
  REQUIRE(back.ok());
  CHECK(*back == std::vector<BrakeRecord>{r, r});
  ::unlink(file.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace peerstore
