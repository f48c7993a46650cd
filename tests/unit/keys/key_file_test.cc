// Key files hold the only copy of a user's identity. The contract: 0600 or refused (with a
// message that says how to fix it), never overwritten, and damage reported as corrupt rather
// than silently replaced by a new identity.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "../common/temp_dir.h"
#include "../common/must.h"
#include "common/bytes.h"
#include "keys/key_file.h"

namespace peerstore {
namespace {

using test::must;

Secret seed_of(uint8_t fill) {
  Bytes b(32, fill);
  return Secret(b);
}

void write_raw(const std::string& path, const Bytes& content, mode_t mode) {
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(content.data()), std::streamsize(content.size()));
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

Bytes read_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

TEST_CASE("write then read a key file") {
  test::TempDir dir;
  std::string path = dir.file("user.key");
  REQUIRE(write_key_file(path, "user", seed_of(5)).ok());

  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));  // no temp file left behind

  auto back = read_key_file(path, "user");
  REQUIRE(back.ok());
  CHECK(*back == seed_of(5));
}

TEST_CASE("a key file readable by others is refused with the fix in the message") {
  test::TempDir dir;
  std::string path = dir.file("user.key");
  REQUIRE(write_key_file(path, "user", seed_of(5)).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    CAPTURE(mode);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto r = read_key_file(path, "user");
    CHECK(r.code() == Errc::permission);
    if (!r.ok()) CHECK(r.error().message().find("chmod 600") != std::string::npos);
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);  // owner-only read is fine
  CHECK(read_key_file(path, "user").ok());
}

TEST_CASE("a missing key file is not_found") {
  test::TempDir dir;
  CHECK(read_key_file(dir.file("nope.key"), "user").code() == Errc::not_found);
}

TEST_CASE("damaged or foreign key files are corrupt") {
  test::TempDir dir;
  std::string path = dir.file("k.key");

  write_raw(path, to_bytes("not msgpack at all, just text\n"), 0600);
  auto garbage = read_key_file(path, "user");
  CHECK(garbage.code() == Errc::corrupt);
  if (!garbage.ok()) CHECK(garbage.error().context.find(path) != std::string::npos);

  write_raw(path, {}, 0600);
  CHECK(read_key_file(path, "user").code() == Errc::corrupt);

  write_raw(path, Bytes(5000, 0x90), 0600);  // larger than any key file
  CHECK(read_key_file(path, "user").code() == Errc::corrupt);

  // A valid file truncated anywhere is corrupt.
  std::string good = dir.file("good.key");
  REQUIRE(write_key_file(good, "user", seed_of(1)).ok());
  Bytes full = read_raw(good);
  for (size_t n = 1; n < full.size(); ++n) {
    CAPTURE(n);
    write_raw(path, Bytes(full.begin(), full.begin() + n), 0600);
    CHECK(read_key_file(path, "user").code() == Errc::corrupt);
  }

  // The right format holding another kind of key.
  CHECK(read_key_file(good, "device").code() == Errc::corrupt);

  // A directory is not a key file.
  std::string sub = dir.file("sub");
  REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  CHECK(read_key_file(sub, "user").code() == Errc::corrupt);
}

TEST_CASE("write_key_file never overwrites an existing key") {
  test::TempDir dir;
  std::string path = dir.file("user.key");
  REQUIRE(write_key_file(path, "user", seed_of(1)).ok());
  Bytes before = read_raw(path);
  auto again = write_key_file(path, "user", seed_of(2));
  CHECK(again.code() == Errc::exists);
  CHECK(read_raw(path) == before);
  CHECK(must(read_key_file(path, "user")) == seed_of(1));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
}

// Two processes starting for the first time at once (a mount and a storage node) both create
// the key. Whoever gets Errc::ok goes on to use its key, so the file must hold exactly that
// key; the others must get Errc::exists and read it. Threads stand in for the processes.
TEST_CASE("concurrent first-time writers: one wins and the file holds the winner's key") {
  test::TempDir dir;
  constexpr int kWriters = 4;
  int bad_rounds = 0;
  std::string first_problem;
  for (int round = 0; round < 40; ++round) {
    std::string path = dir.file("k" + std::to_string(round) + ".key");
    std::vector<Errc> codes(kWriters);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i)
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kWriters) {
        }
        codes[i] = write_key_file(path, "user", seed_of(uint8_t(i + 1))).code();
      });
    for (auto& t : threads) t.join();
    int winners = 0, winner = -1;
    std::string problem;
    for (int i = 0; i < kWriters; ++i) {
      if (codes[i] == Errc::ok) {
        ++winners;
        winner = i;
      } else if (codes[i] != Errc::exists) {
        problem = std::string("a writer got ") + errc_name(codes[i]);
      }
    }
    auto stored = read_key_file(path, "user");
    if (winners != 1)
      problem = std::to_string(winners) + " writers succeeded";
    else if (!stored.ok())
      problem = "the file is unreadable: " + stored.error().message();
    else if (!(*stored == seed_of(uint8_t(winner + 1))))
      problem = "the file holds another writer's key than the winner's";
    if (!problem.empty() && bad_rounds++ == 0) first_problem = problem;
  }
  CHECK_MESSAGE(bad_rounds == 0, bad_rounds << " of 40 rounds went wrong; first: " << first_problem);
}

TEST_CASE("write_key_file into a missing directory is an io error") {
  test::TempDir dir;
  CHECK(write_key_file(dir.file("missing/user.key"), "user", seed_of(1)).code() == Errc::io);
}

}  // namespace
}  // namespace peerstore
