// The network secret decides which network a data directory belongs to. The contract: created
// once and then loaded unchanged; an invite's secret adopted, but never over a different one
// (that data directory belongs to another network); the key file rules (0600) hold.
#include "keys/network_secret.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "../common/must.h"
#include "../common/temp_dir.h"
#include "common/bytes.h"
#include "keys/key_file.h"

namespace peerstore {
namespace {

using test::must;

TEST_CASE("a new ring's secret is created once, then loaded") {
  test::TempDir dir;
  CHECK(load_network_secret(dir.path()).code() == Errc::not_found);
  Secret made = must(load_or_create_network_secret(dir.path()));
  CHECK(made.size() == kNetworkSecretSize);
  CHECK_FALSE(made == Secret(kNetworkSecretSize));  // random, not zeros
  CHECK(must(load_network_secret(dir.path())) == made);
  CHECK(must(load_or_create_network_secret(dir.path())) == made);
  // Other tools read the file as a plain key file of kind "network".
  CHECK(must(read_key_file(network_secret_path(dir.path()), "network")) == made);
  struct stat st;
  REQUIRE(::stat(network_secret_path(dir.path()).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  test::TempDir other;
  CHECK_FALSE(must(load_or_create_network_secret(other.path())) == made);
}

TEST_CASE("the message for a missing secret names the data directory") {
  test::TempDir dir;
  auto r = load_network_secret(dir.path());
  REQUIRE(r.code() == Errc::not_found);
  CHECK(r.error().message().find("no network secret in " + dir.path()) != std::string::npos);
}

TEST_CASE("adopting an invite's secret: stored, again fine, a different one refused") {
  test::TempDir dir;
  Secret invited(Bytes(32, 0x5a));
  REQUIRE(adopt_network_secret(dir.path(), invited).ok());
  CHECK(must(load_network_secret(dir.path())) == invited);
  CHECK(adopt_network_secret(dir.path(), invited).ok());  // the same invite twice

  auto conflict = adopt_network_secret(dir.path(), Secret(Bytes(32, 0x5b)));
  REQUIRE(conflict.code() == Errc::exists);
  std::string msg = conflict.error().message();
  CHECK(msg.find("another PeerStore network") != std::string::npos);
  CHECK(msg.find("--data") != std::string::npos);
  CHECK(msg.find(network_secret_path(dir.path())) != std::string::npos);
  CHECK(must(load_network_secret(dir.path())) == invited);  // untouched

  CHECK(adopt_network_secret(dir.path(), Secret(Bytes(16, 1))).code() == Errc::invalid);
}

TEST_CASE("a network secret readable by others is refused with its chmod hint") {
  test::TempDir dir;
  REQUIRE(load_or_create_network_secret(dir.path()).ok());
  std::string path = network_secret_path(dir.path());
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  for (int variant = 0; variant < 2; ++variant) {
    auto r =
        variant == 0 ? load_network_secret(dir.path()) : load_or_create_network_secret(dir.path());
    CHECK(r.code() == Errc::permission);
    if (!r.ok()) CHECK(r.error().message().find("chmod 600 " + path) != std::string::npos);
  }
  CHECK(adopt_network_secret(dir.path(), Secret(Bytes(32, 1))).code() == Errc::permission);
}

TEST_CASE("a damaged network secret is an error and is not replaced") {
  test::TempDir dir;
  REQUIRE(write_key_file(network_secret_path(dir.path()), "device", Secret(Bytes(32, 1))).ok());
  CHECK(load_or_create_network_secret(dir.path()).code() == Errc::corrupt);
  CHECK(must(read_key_file(network_secret_path(dir.path()), "device")) == Secret(Bytes(32, 1)));
}

}  // namespace
}  // namespace peerstore
