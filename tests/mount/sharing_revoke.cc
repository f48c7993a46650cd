// Mount tests, revoke (issue 14, item 6): `peerstore-share revoke PATH USER` on a real mount.
// The folder moves to new keys behind a new link while its owner sees the same tree; the other
// members keep their grants; the tool prints the exposure report; each mistake gets one line
// and changes nothing; and a mount killed in the middle of a revoke has, after its restart,
// either finished it or rolled it back, with the folder whole either way.
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "mount/mount_test_util.h"
#include "mount/share_tool.h"

namespace peerstore::test {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// What `list` says of the grants made, after "Folders you share:".
std::string grants_listed(MountFixture& fx) {
  Run r = share(fx, {"list", fx.mountpoint()});
  REQUIRE_MESSAGE(r.status == 0, r.out);
  return r.out.substr(0, r.out.find("Folders shared with you:"));
}

}  // namespace

TEST_CASE("revoke: the folder gets new keys, its owner sees the same tree, the others keep it") {
  MountFixture owner;
  if (!owner.require_real_mount()) return;
  MountFixture stays, goes;  // two other users: only their identities are used
  if (!stays.require_real_mount() || !goes.require_real_mount()) return;
  std::string me = user_id(owner, owner.config_dir());
  std::string keep = user_id(owner, stays.config_dir());
  std::string drop = user_id(owner, goes.config_dir());

  REQUIRE_OK(mkdir(owner.path("proj").c_str(), 0750));
  REQUIRE_OK(mkdir(owner.path("proj/sub").c_str(), 0755));
  write_file(owner.path("proj/a.txt"), "first version");
  std::string big = random_bytes(700 * 1024, 5);
  write_file(owner.path("proj/sub/big.bin"), big);
  REQUIRE_OK(symlink("a.txt", owner.path("proj/ln").c_str()));
  REQUIRE_OK(mkdir(owner.path("plain").c_str(), 0755));
  REQUIRE(share(owner, {"grant", owner.path("proj"), keep, "--write"}).status == 0);
  REQUIRE(share(owner, {"grant", owner.path("proj"), drop}).status == 0);
  write_file(owner.path("proj/a.txt"), "second version, after the grants");
  REQUIRE(owner.unmount() == 0);  // every version committed
  owner.mount();
  ino_t link_before = lstat_of(owner.path("proj")).st_ino;

  // The mistakes: one line each, a non-zero exit, nothing changed.
  std::string garbled = drop;
  garbled[12] = garbled[12] == 'a' ? 'b' : 'a';
  struct Mistake {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Mistake& m : std::vector<Mistake>{
           {{"revoke", owner.path("proj"), garbled}, "user id"},
           {{"revoke", owner.path("proj"), me}, "was never granted"},
           {{"revoke", owner.path("plain"), drop}, "not a folder you share"},
           {{"revoke", owner.path("proj/a.txt"), drop}, "is no folder"},
           {{"revoke", owner.base_dir(), drop}, "not in a running PeerStore mount"},
       }) {
    CAPTURE(m.args[1]);
    CAPTURE(m.args[2]);
    Run r = share(owner, m.args);
    CHECK(r.status != 0);
    CHECK_MESSAGE(has(r.out, m.says), r.out);
    CHECK_MESSAGE(std::count(r.out.begin(), r.out.end(), '\n') == 1, r.out);
  }
  {
    // A file open for writing in the folder: refused until it is closed.
    Fd f(open(owner.path("proj/sub/w.txt").c_str(), O_WRONLY | O_CREAT, 0644));
    REQUIRE(f.valid());
    Run busy = share(owner, {"revoke", owner.path("proj"), drop});
    CHECK(busy.status != 0);
    CHECK_MESSAGE(has(busy.out, "open for writing"), busy.out);
  }
  CHECK_EQ(lstat_of(owner.path("proj")).st_ino, link_before);
  CHECK(has(grants_listed(owner), drop.substr(0, 12)));

  Run r = share(owner, {"revoke", owner.path("proj"), drop});
  REQUIRE_MESSAGE(r.status == 0, r.out << owner.log());
  CHECK(has(r.out, "Revoked " + drop.substr(0, 12)));
  // The exposure report: every version of every file, including the overwritten one.
  CHECK_MESSAGE(has(r.out, "/proj/a.txt  13 bytes"), r.out);
  CHECK_MESSAGE(has(r.out, "/proj/a.txt  32 bytes"), r.out);
  CHECK_MESSAGE(has(r.out, "/proj/sub/big.bin  716800 bytes"), r.out);
  CHECK_MESSAGE(has(r.out, "cannot be taken back"), r.out);

  // The owner's view: a new link in the same place, the same tree, still writable.
  struct stat st = lstat_of(owner.path("proj"));
  CHECK(st.st_ino != link_before);
  CHECK_EQ(st.st_mode & 07777, 0750u);
  CHECK(dir_names(owner.path("proj")) == std::vector<std::string>{"a.txt", "ln", "sub"});
  CHECK_EQ(read_file(owner.path("proj/a.txt")), "second version, after the grants");
  CHECK(read_file(owner.path("proj/sub/big.bin")) == big);
  char target[64] = {};
  CHECK(readlink(owner.path("proj/ln").c_str(), target, sizeof target - 1) == 5);
  write_file(owner.path("proj/after.txt"), "written after the revoke");
  std::string listed = grants_listed(owner);
  CHECK_MESSAGE(has(listed, "/proj  with " + keep.substr(0, 12) + "  read and write"), listed);
  CHECK_MESSAGE(!has(listed, drop.substr(0, 12)), listed);

  // Revoked already: never granted (of this epoch).
  Run again = share(owner, {"revoke", owner.path("proj"), drop});
  CHECK(again.status != 0);
  CHECK_MESSAGE(has(again.out, "was never granted"), again.out);

  owner.remount();
  CHECK(dir_names(owner.path("proj")) ==
        std::vector<std::string>{"a.txt", "after.txt", "ln", "sub"});
  CHECK_EQ(read_file(owner.path("proj/after.txt")), "written after the revoke");
  CHECK(read_file(owner.path("proj/sub/big.bin")) == big);
  listed = grants_listed(owner);
  CHECK_MESSAGE(has(listed, keep.substr(0, 12)), listed);
  CHECK_MESSAGE(!has(listed, drop.substr(0, 12)), listed);
}

TEST_CASE("revoke: a mount killed during a revoke finishes or rolls it back at its next start") {
  MountFixture owner;
  if (!owner.require_real_mount()) return;
  MountFixture stays, goes;
  if (!stays.require_real_mount() || !goes.require_real_mount()) return;
  std::string keep = user_id(owner, stays.config_dir());
  std::string drop = user_id(owner, goes.config_dir());
  REQUIRE_OK(mkdir(owner.path("data").c_str(), 0755));
  // Enough to re-encrypt that a kill lands in the middle at some of the delays below.
  std::vector<std::string> files;
  for (int i = 0; i < 24; ++i) {
    files.push_back(random_bytes(1 << 20, uint64_t(100 + i)));
    write_file(owner.path("data/f" + std::to_string(i)), files.back());
  }
  REQUIRE(share(owner, {"grant", owner.path("data"), keep, "--write"}).status == 0);

  for (int delay_ms : {150, 600, 1500}) {
    CAPTURE(delay_ms);
    if (!has(grants_listed(owner), drop.substr(0, 12)))
      REQUIRE(share(owner, {"grant", owner.path("data"), drop}).status == 0);
    SpawnOptions o;
    o.stderr_path = owner.new_log_path("revoke");
    ChildProcess revoking({getenv("PEERSTORE_SHARE"), "revoke", owner.path("data"), drop}, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    owner.crash();
    CHECK(revoking.wait_exit(std::chrono::seconds(30)).has_value());
    owner.mount();
    // Whole either way, and the member who stays keeps the folder.
    for (int i = 0; i < 24; ++i)
      CHECK_MESSAGE(read_file(owner.path("data/f" + std::to_string(i))) == files[size_t(i)],
                    "f" << i);
    // Rolled back: revoke again works; finished (now or by the restarted mount): it is gone.
    std::string listed;
    for (int i = 0; i < 100; ++i) {
      listed = grants_listed(owner);
      if (has(listed, keep.substr(0, 12))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK_MESSAGE(has(listed, keep.substr(0, 12)), listed << owner.log());
    if (has(listed, drop.substr(0, 12))) {
      Run r = share(owner, {"revoke", owner.path("data"), drop});
      CHECK_MESSAGE(r.status == 0, r.out << owner.log());
    }
    listed = grants_listed(owner);
    CHECK_MESSAGE(!has(listed, drop.substr(0, 12)), listed);
    CHECK_MESSAGE(has(listed, keep.substr(0, 12) + "  read and write"), listed);
  }
}

}  // namespace peerstore::test
