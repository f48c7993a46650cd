// Identity::load_or_create: the first run creates the user and device keys; every later run
// must load exactly the same keys, and a damaged file must stop start-up instead of being
// replaced (which would silently orphan the user's data).
#include "keys/identity.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <thread>

#include "../common/temp_dir.h"
#include "keys/key_file.h"

namespace peerstore {
namespace {

mode_t mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

TEST_CASE("load_or_create creates the directory and keys, then reloads the same keys") {
  test::TempDir dir;
  std::string config = dir.file("a/b/peerstore");  // nested and missing
  auto first = Identity::load_or_create(config);
  REQUIRE(first.ok());
  CHECK(mode_of(config) == 0700);
  CHECK(mode_of(config + "/user.key") == 0600);
  CHECK(mode_of(config + "/device.key") == 0600);
  CHECK(first->user.public_key() != first->device.public_key());

  auto second = Identity::load_or_create(config);
  REQUIRE(second.ok());
  CHECK(second->user.public_key() == first->user.public_key());
  CHECK(second->device.public_key() == first->device.public_key());
  CHECK(second->user.seed() == first->user.seed());
}

TEST_CASE("two computers sharing a config directory share the user but not the device") {
  test::TempDir dir;
  auto a = Identity::load_or_create(dir.file("config"), dir.file("data-a"));
  auto b = Identity::load_or_create(dir.file("config"), dir.file("data-b"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->user.public_key() == b->user.public_key());
  CHECK(a->device.public_key() != b->device.public_key());
  CHECK(mode_of(dir.file("data-a")) == 0700);
  CHECK(mode_of(dir.file("data-a/device.key")) == 0600);
  auto again = Identity::load_or_create(dir.file("config"), dir.file("data-a"));
  REQUIRE(again.ok());
  CHECK(again->device.public_key() == a->device.public_key());
}

TEST_CASE("load_or_create uses a key that is already there") {
  test::TempDir dir;
  Bytes seed(32, 0x42);
  REQUIRE(write_key_file(dir.file("user.key"), "user", Secret(seed)).ok());
  auto id = Identity::load_or_create(dir.path());
  REQUIRE(id.ok());
  CHECK(id->user.public_key() == SigningKey::from_seed(Secret(seed)).public_key());
}

TEST_CASE("a damaged key file is an error and is left alone") {
  test::TempDir dir;
  REQUIRE(Identity::load_or_create(dir.path()).ok());
  std::string path = dir.file("device.key");
  REQUIRE(::unlink(path.c_str()) == 0);
  {
    std::ofstream f(path);
    f << "garbage";
  }
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  auto r = Identity::load_or_create(dir.path());
  CHECK(r.code() == Errc::corrupt);
  std::ifstream f(path);
  std::string content((std::istreambuf_iterator<char>(f)), {});
  CHECK(content == "garbage");

  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  CHECK(Identity::load_or_create(dir.path()).code() == Errc::permission);
}

// Two processes starting for the first time at once must end up with one identity: the user
// key decides the home volume, so a process running with a key that is not the one on disk
// writes to a volume no other computer (and no later start) will ever open.
TEST_CASE("concurrent first starts agree on one identity") {
  test::TempDir dir;
  int disagreements = 0;
  for (int round = 0; round < 20; ++round) {
    std::string config = dir.file("c" + std::to_string(round));
    std::optional<Result<Identity>> a, b;
    std::thread ta([&] { a.emplace(Identity::load_or_create(config)); });
    std::thread tb([&] { b.emplace(Identity::load_or_create(config)); });
    ta.join();
    tb.join();
    auto disk = Identity::load_or_create(config);
    REQUIRE(disk.ok());
    for (auto* r : {&*a, &*b}) {
      if (!r->ok() || (*r)->user.public_key() != disk->user.public_key() ||
          (*r)->device.public_key() != disk->device.public_key())
        ++disagreements;
    }
  }
  CHECK_MESSAGE(disagreements == 0,
                disagreements << " of 40 starts used keys that are not on disk");
}

// Restores the working directory when the test ends, whatever happens.
struct CwdGuard {
  std::string saved = std::filesystem::current_path();
  ~CwdGuard() {
    std::error_code ec;
    std::filesystem::current_path(saved, ec);
  }
};

// A relative config dir (e.g. `--config c/peerstore`) whose first component is one
// character long and does not exist yet.
TEST_CASE("load_or_create accepts a relative directory with a one-letter first component") {
  test::TempDir dir;
  CwdGuard guard;
  std::filesystem::current_path(dir.path());
  auto r = Identity::load_or_create("c/peerstore");
  CHECK_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  CHECK(std::filesystem::exists(dir.file("c/peerstore/user.key")));
}

}  // namespace
}  // namespace peerstore
