// RetentionFloor (host/retention_floor.h): DATA/thinned read back after a restart; the floor only
// rises; a missing or damaged file is no floor (which only keeps more).
#include "host/retention_floor.h"

#include <doctest/doctest.h>

#include "../common/temp_dir.h"
#include "common/file_io.h"

namespace peerstore::host {
namespace {

TEST_CASE("retention floor: kept across restarts, only rises, a bad file is no floor") {
  test::TempDir dir;
  std::string path = dir.path() + "/thinned";
  {
    RetentionFloor f(path);
    CHECK(f.floor_ns() == 0);
    REQUIRE(f.raise(2000).ok());
    REQUIRE(f.raise(1000).ok());  // lower: nothing changes
    CHECK(f.floor_ns() == 2000);
    RetentionPolicy p;
    p.all = std::chrono::seconds(60);
    CHECK(f.apply(p).floor_ns == 2000);
    CHECK(f.apply(p).all == std::chrono::seconds(60));
  }
  CHECK(RetentionFloor(path).floor_ns() == 2000);
  CHECK(RetentionFloor::read(path) == 2000);
  for (const char* bad : {"", "x", "-5\n", "12 34\n", "99999999999999999999999\n"}) {
    REQUIRE(write_file_durably(path, to_bytes(bad), Placement::replace).ok());
    CHECK_MESSAGE(RetentionFloor::read(path) == 0, bad);
  }
  CHECK(RetentionFloor::read(dir.path() + "/none") == 0);
}

}  // namespace
}  // namespace peerstore::host
