// Admission decides what `--join` means. The contract: no --join starts a ring with a secret
// created once; an invite token's secret is adopted and its address joined; HOST:PORT needs a
// secret already in DATA and, without one, fails with one line that says how to get an invite.
#include "host/admission.h"

#include <doctest/doctest.h>

#include "../common/must.h"
#include "../common/temp_dir.h"
#include "keys/invite_token.h"
#include "keys/network_secret.h"

namespace peerstore::host {
namespace {

using test::must;

TEST_CASE("admission: no --join starts a ring, with a secret created once") {
  test::TempDir dir;
  DataDirLayout l(dir.path(), dir.path());
  CHECK(load_network_secret(l.data()).code() == Errc::not_found);
  Admission first = must(admit(l, ""));
  CHECK(first.join.empty());
  CHECK(first.network_secret.size() == kNetworkSecretSize);
  CHECK(must(load_network_secret(l.data())) == first.network_secret);
  CHECK(must(admit(l, "")).network_secret == first.network_secret);  // loaded, not replaced
}

TEST_CASE("admission: an invite token is adopted and its address joined") {
  test::TempDir member, fresh;
  Secret secret = must(admit(DataDirLayout(member.path()), "")).network_secret;
  std::string token = must(InviteToken::format("10.0.0.5:3000", secret));
  DataDirLayout l(fresh.path());
  Admission a = must(admit(l, token));
  CHECK(a.join == "10.0.0.5:3000");
  CHECK(a.network_secret == secret);
  CHECK(must(load_network_secret(l.data())) == secret);
  CHECK(must(admit(l, token)).join == "10.0.0.5:3000");  // the same invite again

  SUBCASE("a token of another network is refused") {
    test::TempDir other;
    Secret theirs = must(admit(DataDirLayout(other.path()), "")).network_secret;
    auto r = admit(l, must(InviteToken::format("10.0.0.6:3000", theirs)));
    CHECK(r.code() == Errc::exists);
    CHECK(must(load_network_secret(l.data())) == secret);
  }
}

TEST_CASE("admission: HOST:PORT without a secret in DATA says how to get an invite") {
  test::TempDir dir;
  DataDirLayout l(dir.path());
  auto r = admit(l, "10.0.0.5:3000");
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Errc::not_found);
  CHECK(r.error().context == "no network secret in " + dir.path() +
                                 "; get an invite with 'peerstore invite' on a member and pass "
                                 "--join TOKEN");
  CHECK(r.error().context.find('\n') == std::string::npos);
  CHECK(load_network_secret(l.data()).code() == Errc::not_found);  // nothing was created
}

TEST_CASE("admission: an address that is not a literal HOST:PORT is refused, in one line") {
  test::TempDir dir;
  DataDirLayout l(dir.path());
  must(load_or_create_network_secret(l.data()));
  // The resolver would read "1.2.3" as 1.2.0.3 and join a stranger.
  auto r = admit(l, "1.2.3:99");
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Errc::invalid);
  CHECK(r.error().context ==
        "--join address '1.2.3:99': not an IPv4 address (four numbers from 0 to 255, separated "
        "by dots); pass a member's HOST:PORT or an invite token");
  CHECK(admit(l, "10.0.0.5").code() == Errc::invalid);
  CHECK(admit(l, "node.example:70000").code() == Errc::invalid);
}

TEST_CASE("admission: HOST:PORT with a secret in DATA joins with it") {
  test::TempDir dir;
  DataDirLayout l(dir.path());
  Secret secret = must(load_or_create_network_secret(l.data()));
  Admission a = must(admit(l, "10.0.0.5:3000"));
  CHECK(a.join == "10.0.0.5:3000");
  CHECK(a.network_secret == secret);
}

TEST_CASE("admission: a damaged token is an error, never a join") {
  test::TempDir dir;
  std::string token = must(InviteToken::format("10.0.0.5:3000", Secret(Bytes(32, 7))));
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  CHECK_FALSE(admit(DataDirLayout(dir.path()), token).ok());
  CHECK(load_network_secret(dir.path()).code() == Errc::not_found);
}

TEST_CASE("admission: member_secret names the directory and what to do") {
  test::TempDir dir;
  DataDirLayout l(dir.path());
  auto r = member_secret(l, "do this");
  CHECK(r.code() == Errc::not_found);
  CHECK(r.error().context == "no network secret in " + dir.path() + "; do this");
  Secret s = must(load_or_create_network_secret(l.data()));
  CHECK(must(member_secret(l, "do this")) == s);
}

}  // namespace
}  // namespace peerstore::host
