// peerstore-share's commands: whoami names the user whose key is in the config directory, and
// says what to do when there is none.
#include "host/share_commands.h"

#include <doctest/doctest.h>

#include "../common/must.h"
#include "../common/temp_dir.h"
#include "keys/identity.h"
#include "keys/user_id.h"

namespace peerstore::host {
namespace {

using test::must;
using test::TempDir;

TEST_CASE("share commands: whoami prints the id of the user key in --config") {
  TempDir config, data;
  Identity id = must(Identity::load_or_create(config.path(), data.path()));
  DataDirLayout layout(data.path(), config.path());
  std::string printed = must(whoami(layout));
  CHECK(must(UserId::parse(printed)) == id.user.public_key());
  CHECK(must(UserId::parse(printed)) != id.device.public_key());
}

TEST_CASE("share commands: whoami without a user key says how to get one") {
  TempDir config, data;
  DataDirLayout layout(data.path(), config.path());
  auto r = whoami(layout);
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Errc::not_found);
  CHECK(r.error().message().find("mount PeerStore once") != std::string::npos);
}

}  // namespace
}  // namespace peerstore::host
