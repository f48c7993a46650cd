// Mount tests, sharing (issue 14): `peerstore-share grant PATH USER` on a real mount. The folder
// becomes a volume of its own behind a link, and the owner sees and changes the same tree as
// before, across remounts; every mistake of the item 8 that grant can meet gets one
// line that says what to do, a non-zero exit, and changes nothing. Needs a real mount and
// $PEERSTORE_SHARE (meson sets it).
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "mount/mount_test_util.h"
#include "mount/share_tool.h"
#include "support/mount_fixture.h"

namespace peerstore::test {

TEST_CASE("sharing: a granted folder keeps its content and goes on working for its owner") {
  MountFixture owner;
  if (!owner.require_real_mount()) return;
  MountFixture other;  // another user: its own identity
  if (!other.require_real_mount()) return;
  std::string them = user_id(owner, other.config_dir());
  std::string me = user_id(owner, owner.config_dir());
  REQUIRE(them != me);

  REQUIRE_OK(mkdir(owner.path("proj").c_str(), 0750));
  REQUIRE_OK(mkdir(owner.path("proj/sub").c_str(), 0755));
  write_file(owner.path("proj/a.txt"), "alpha");
  std::string big = random_bytes(300 * 1024, 11);
  write_file(owner.path("proj/sub/big.bin"), big);
  write_file(owner.path("outside.txt"), "outside");

  // The mistakes first: each one line, a non-zero exit, nothing changed.
  struct Mistake {
    std::vector<std::string> args;
    std::string says;
  };
  std::string garbled = them;
  garbled[10] = garbled[10] == 'a' ? 'b' : 'a';
  for (const Mistake& m : std::vector<Mistake>{
           {{"grant", owner.path("proj"), garbled}, "user id"},
           {{"grant", owner.path("proj"), "alice"}, "user id"},
           {{"grant", owner.path("proj/a.txt"), them}, "not a folder"},
           {{"grant", owner.path("missing"), them}, "give a folder"},
           {{"grant", owner.base_dir(), them}, "not in a running PeerStore mount"},
           {{"grant", owner.mountpoint(), them}, "cannot be shared"},
           {{"grant", owner.path("proj"), me}, "cannot be shared"},
       }) {
    CAPTURE(m.args[1]);
    CAPTURE(m.args[2]);
    Run r = share(owner, m.args);
    CHECK(r.status != 0);
    CHECK_MESSAGE(r.out.find(m.says) != std::string::npos, r.out);
    CHECK_MESSAGE(std::count(r.out.begin(), r.out.end(), '\n') == 1, r.out);
  }
  ino_t before = lstat_of(owner.path("proj")).st_ino;

  Run r = share(owner, {"grant", owner.path("proj"), them, "--write"});
  REQUIRE_MESSAGE(r.status == 0, r.out << owner.log());
  CHECK(r.out.find("Shared") != std::string::npos);

  // The owner's view is the same tree: modes, names, content.
  struct stat st = lstat_of(owner.path("proj"));
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0750u);
  CHECK(st.st_ino != before);  // a link now, in the folder's place
  for (auto& e : read_dir(owner.mountpoint()))
    if (e.name == "proj") CHECK_EQ(e.ino, st.st_ino);  // a listing and stat agree
  CHECK_EQ(read_file(owner.path("proj/a.txt")), "alpha");
  CHECK(read_file(owner.path("proj/sub/big.bin")) == big);
  CHECK_EQ(read_file(owner.path("outside.txt")), "outside");
  CHECK(dir_names(owner.path("proj")) == std::vector<std::string>{"a.txt", "sub"});
  // And it goes on working: writes, renames inside, EXDEV across.
  write_file(owner.path("proj/sub/new.txt"), "new after the grant");
  REQUIRE_OK(rename(owner.path("proj/a.txt").c_str(), owner.path("proj/sub/a.txt").c_str()));
  CHECK_ERRNO(rename(owner.path("outside.txt").c_str(), owner.path("proj/outside.txt").c_str()),
              EXDEV);
  CHECK_ERRNO(link(owner.path("outside.txt").c_str(), owner.path("proj/hard").c_str()), EXDEV);

  // list shows it, and the record behind it is no attribute a program sees.
  Run listed = share(owner, {"list", owner.mountpoint()});
  REQUIRE_MESSAGE(listed.status == 0, listed.out);
  CHECK_MESSAGE(listed.out.find("/proj  with " + them.substr(0, 12) + "  read and write") !=
                    std::string::npos,
                listed.out);
  CHECK_MESSAGE(listed.out.find("Folders shared with you:\n  none") != std::string::npos,
                listed.out);
  char names[4096];
  ssize_t n = listxattr(owner.mountpoint().c_str(), names, sizeof names);
  CHECK(n >= 0);
  CHECK(std::string(names, size_t(std::max<ssize_t>(n, 0))).find("peerstore") == std::string::npos);
  Run outside = share(owner, {"list", owner.base_dir()});
  CHECK(outside.status != 0);
  CHECK(outside.out.find("not in a running PeerStore mount") != std::string::npos);

  // A folder inside the shared one cannot be shared on its own; the shared one again can.
  Run inner = share(owner, {"grant", owner.path("proj/sub"), them});
  CHECK(inner.status != 0);
  CHECK_MESSAGE(inner.out.find("inside a shared folder") != std::string::npos, inner.out);
  Run again = share(owner, {"grant", owner.path("proj"), them});
  CHECK_MESSAGE(again.status == 0, again.out);

  owner.remount();
  CHECK_EQ(lstat_of(owner.path("proj")).st_mode & 07777, 0750u);
  CHECK_EQ(read_file(owner.path("proj/sub/a.txt")), "alpha");
  CHECK_EQ(read_file(owner.path("proj/sub/new.txt")), "new after the grant");
  CHECK(read_file(owner.path("proj/sub/big.bin")) == big);
  CHECK(dir_names(owner.path("proj")) == std::vector<std::string>{"sub"});
  Run after = share(owner, {"list", owner.path("proj/sub")});
  CHECK_MESSAGE(after.out.find("/proj  with ") != std::string::npos, after.out);
}

TEST_CASE("sharing: a folder with a file open in it is not shared until it is closed") {
  MountFixture owner;
  if (!owner.require_real_mount()) return;
  MountFixture other;
  if (!other.require_real_mount()) return;
  std::string them = user_id(owner, other.config_dir());
  REQUIRE_OK(mkdir(owner.path("busy").c_str(), 0755));
  write_file(owner.path("busy/f"), "x");
  Fd f(open(owner.path("busy/f").c_str(), O_RDWR));
  REQUIRE(f.valid());
  Run r = share(owner, {"grant", owner.path("busy"), them});
  CHECK(r.status != 0);
  CHECK_MESSAGE(r.out.find("are open") != std::string::npos, r.out);
  CHECK_EQ(read_file(owner.path("busy/f")), "x");
  f.reset();
  Run ok = share(owner, {"grant", owner.path("busy"), them});
  CHECK_MESSAGE(ok.status == 0, ok.out << owner.log());
  CHECK_EQ(read_file(owner.path("busy/f")), "x");
}

}  // namespace peerstore::test
