// Mount tests of sharing: running `peerstore-share` ($PEERSTORE_SHARE, which meson sets) against
// a mount, and the user id of an identity.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/mount_fixture.h"

namespace peerstore::test {

struct Run {
  int status = -1;
  std::string out;  // stdout and stderr
};

inline Run share(MountFixture& fx, std::vector<std::string> args) {
  const char* bin = getenv("PEERSTORE_SHARE");
  REQUIRE_MESSAGE(bin != nullptr, "PEERSTORE_SHARE is not set (meson sets it)");
  args.insert(args.begin(), bin);
  SpawnOptions o;
  o.stderr_path = fx.new_log_path("share");
  ChildProcess p(args, o);
  auto status = p.wait_exit(std::chrono::seconds(30));
  REQUIRE_MESSAGE(status.has_value(), "peerstore-share did not exit: " << p.output());
  return Run{*status, p.output()};
}

// The user id of the identity in `config` (the last line of whoami).
inline std::string user_id(MountFixture& fx, const std::string& config) {
  Run r = share(fx, {"whoami", "--config", config});
  REQUIRE_MESSAGE(r.status == 0, r.out);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

}  // namespace peerstore::test
