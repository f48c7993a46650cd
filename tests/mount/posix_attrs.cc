// Mount tests, attributes: chmod, chown (as root), utimensat with nanoseconds, permission checks
// as uid 65534 (mounted with allow_other,default_permissions), and user.* xattrs.
// Every expectation here also holds on ext4/tmpfs (run with PEERSTORE_TEST_DIR to check).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <set>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

std::string show(const timespec& t) {
  return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

// The user.* names listxattr reports (other namespaces, e.g. security.*, are the host's).
std::set<std::string> user_xattrs(const std::string& path, bool follow = true) {
  ssize_t size =
      follow ? listxattr(path.c_str(), nullptr, 0) : llistxattr(path.c_str(), nullptr, 0);
  int e = errno;
  REQUIRE_MESSAGE(size >= 0, "listxattr " << path << ": " << errno_name(e));
  std::string buf(size, '\0');
  size = follow ? listxattr(path.c_str(), buf.data(), buf.size())
                : llistxattr(path.c_str(), buf.data(), buf.size());
  e = errno;
  REQUIRE_MESSAGE(size >= 0, "listxattr " << path << ": " << errno_name(e));
  std::set<std::string> names;
  for (size_t at = 0; at < static_cast<size_t>(size);) {
    std::string name(buf.data() + at);
    if (name.rfind("user.", 0) == 0) names.insert(name);
    at += name.size() + 1;
  }
  return names;
}

std::string get_xattr(const std::string& path, const char* name) {
  ssize_t size = getxattr(path.c_str(), name, nullptr, 0);
  int e = errno;
  REQUIRE_MESSAGE(size >= 0, "getxattr " << path << " " << name << ": " << errno_name(e));
  std::string buf(size, '\0');
  ssize_t n = getxattr(path.c_str(), name, buf.data(), buf.size());
  e = errno;
  REQUIRE_MESSAGE(n == size, "getxattr " << path << " " << name << ": " << errno_name(e));
  return buf;
}

}  // namespace

TEST_CASE("attrs: chmod and fchmod") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("f");
  write_file(f, "x", 0644);
  for (mode_t m : {0000, 0777, 0600, 04755, 02755, 06711, 01644}) {
    CAPTURE(m);
    REQUIRE_OK(chmod(f.c_str(), m));
    CHECK_EQ(stat_of(f).st_mode & 07777, m);
    CHECK(S_ISREG(stat_of(f).st_mode));
  }
  Fd fd = open_or_die(f, O_RDONLY);
  REQUIRE_OK(fchmod(fd.get(), 0640));
  CHECK_EQ(fstat_of(fd.get()).st_mode & 07777, 0640u);

  std::string d = fx.path("d");
  REQUIRE_OK(mkdir(d.c_str(), 0755));
  REQUIRE_OK(chmod(d.c_str(), 01777));
  CHECK_EQ(stat_of(d).st_mode & 07777, 01777u);
  CHECK(S_ISDIR(stat_of(d).st_mode));

  // chmod through a symlink changes the target.
  REQUIRE_OK(symlink("f", fx.path("l").c_str()));
  REQUIRE_OK(chmod(fx.path("l").c_str(), 0604));
  CHECK_EQ(stat_of(f).st_mode & 07777, 0604u);
  CHECK(S_ISLNK(lstat_of(fx.path("l")).st_mode));

  CHECK_ERRNO(chmod(fx.path("missing").c_str(), 0644), ENOENT);
}

TEST_CASE("attrs: chown as root") {
  MountFixture fx;
  if (!fx.usable()) return;
  if (geteuid() != 0) {
    MESSAGE("SKIPPED: chown to other users needs root");
    return;
  }
  std::string f = fx.path("f");
  write_file(f, "x");
  REQUIRE_OK(chown(f.c_str(), 1234, 5678));
  CHECK_EQ(stat_of(f).st_uid, 1234u);
  CHECK_EQ(stat_of(f).st_gid, 5678u);
  REQUIRE_OK(chown(f.c_str(), -1, 42));  // -1 keeps the uid
  CHECK_EQ(stat_of(f).st_uid, 1234u);
  CHECK_EQ(stat_of(f).st_gid, 42u);
  {
    Fd fd = open_or_die(f, O_RDONLY);
    REQUIRE_OK(fchown(fd.get(), kNobody, kNobody));
    CHECK_EQ(fstat_of(fd.get()).st_uid, kNobody);
  }
  // lchown changes the link, not the target.
  REQUIRE_OK(symlink("f", fx.path("l").c_str()));
  REQUIRE_OK(lchown(fx.path("l").c_str(), 777, 888));
  CHECK_EQ(lstat_of(fx.path("l")).st_uid, 777u);
  CHECK_EQ(lstat_of(fx.path("l")).st_gid, 888u);
  CHECK_EQ(stat_of(f).st_uid, kNobody);
  // Directories.
  REQUIRE_OK(mkdir(fx.path("d").c_str(), 0755));
  REQUIRE_OK(chown(fx.path("d").c_str(), 1, 2));
  CHECK_EQ(stat_of(fx.path("d")).st_uid, 1u);
  CHECK_EQ(stat_of(fx.path("d")).st_gid, 2u);
  // Changing the owner of a set-uid file clears set-uid (as on every Linux file system).
  REQUIRE_OK(chmod(f.c_str(), 04755));
  REQUIRE_OK(chown(f.c_str(), 4321, -1));
  CHECK_EQ(stat_of(f).st_mode & 07777, 0755u);
}

TEST_CASE("attrs: utimensat keeps nanoseconds") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("f");
  write_file(f, "x");
  const timespec set[2] = {{1234567890, 123456789}, {1600000000, 987654321}};
  REQUIRE_OK(utimensat(AT_FDCWD, f.c_str(), set, 0));
  struct stat st = stat_of(f);
  CHECK_MESSAGE(same_time(st.st_atim, set[0]), show(st.st_atim));
  CHECK_MESSAGE(same_time(st.st_mtim, set[1]), show(st.st_mtim));

  // UTIME_OMIT leaves one alone.
  const timespec omit_atime[2] = {{0, UTIME_OMIT}, {1700000000, 1}};
  REQUIRE_OK(utimensat(AT_FDCWD, f.c_str(), omit_atime, 0));
  st = stat_of(f);
  CHECK_MESSAGE(same_time(st.st_atim, set[0]), show(st.st_atim));
  CHECK_MESSAGE(same_time(st.st_mtim, omit_atime[1]), show(st.st_mtim));

  // Far future and before 1970.
  for (timespec t : {timespec{4102444800, 999999999}, timespec{-1000000000, 5}}) {
    const timespec both[2] = {t, t};
    REQUIRE_OK(utimensat(AT_FDCWD, f.c_str(), both, 0));
    st = stat_of(f);
    CHECK_MESSAGE(same_time(st.st_mtim, t), show(st.st_mtim) << " vs " << show(t));
    CHECK_MESSAGE(same_time(st.st_atim, t), show(st.st_atim) << " vs " << show(t));
  }

  // UTIME_NOW and futimens.
  timespec before, after;
  clock_gettime(CLOCK_REALTIME, &before);
  {
    Fd fd = open_or_die(f, O_RDWR);
    const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    REQUIRE_OK(futimens(fd.get(), now));
  }
  clock_gettime(CLOCK_REALTIME, &after);
  st = stat_of(f);
  CHECK_GE(st.st_mtim.tv_sec, before.tv_sec - 1);
  CHECK_LE(st.st_mtim.tv_sec, after.tv_sec + 1);

  // A symlink's own times.
  REQUIRE_OK(symlink("f", fx.path("l").c_str()));
  const timespec link_times[2] = {{1111111111, 111}, {1222222222, 222}};
  REQUIRE_OK(utimensat(AT_FDCWD, fx.path("l").c_str(), link_times, AT_SYMLINK_NOFOLLOW));
  CHECK(same_time(lstat_of(fx.path("l")).st_mtim, link_times[1]));
  CHECK_FALSE(same_time(stat_of(f).st_mtim, link_times[1]));

  // Directories; and creating an entry updates the directory's mtime.
  std::string d = fx.path("d");
  REQUIRE_OK(mkdir(d.c_str(), 0755));
  const timespec old[2] = {{1000000000, 500}, {1000000000, 500}};
  REQUIRE_OK(utimensat(AT_FDCWD, d.c_str(), old, 0));
  CHECK(same_time(stat_of(d).st_mtim, old[1]));
  write_file(d + "/new", "n");
  CHECK_GT(stat_of(d).st_mtim.tv_sec, old[1].tv_sec);

  // A write updates the file's mtime.
  REQUIRE_OK(utimensat(AT_FDCWD, f.c_str(), old, 0));
  {
    Fd fd = open_or_die(f, O_WRONLY);
    write_at(fd.get(), "y", 0);
  }
  CHECK_GT(stat_of(f).st_mtim.tv_sec, old[1].tv_sec);
}

TEST_CASE("attrs: permission checks as uid 65534") {
  MountFixture fx(MountOptions{.fuse_options = {"allow_other", "default_permissions"}});
  if (!fx.usable()) return;
  if (geteuid() != 0) {
    MESSAGE("SKIPPED: needs root to switch to uid 65534");
    return;
  }
  REQUIRE_OK(chmod(fx.mountpoint().c_str(), 0755));
  auto p = [&fx](const std::string& rel) { return fx.path(rel); };
  REQUIRE_OK(mkdir(p("pub").c_str(), 0755));
  write_file(p("pub/secret"), "s", 0600);
  write_file(p("pub/readable"), "r", 0644);
  write_file(p("pub/group"), "g", 0640);
  REQUIRE_OK(chown(p("pub/group").c_str(), 0, kNobody));
  REQUIRE_OK(mkdir(p("pub/closed").c_str(), 0700));
  write_file(p("pub/closed/inside"), "i", 0644);
  REQUIRE_OK(mkdir(p("open").c_str(), 0777));
  REQUIRE_OK(mkdir(p("sticky").c_str(), 01777));
  write_file(p("sticky/rootfile"), "root", 0666);

  // Each probe runs as uid/gid 65534 in a child and returns errno (0: success).
  auto as_nobody = [](auto fn) { return run_forked(fn, RunAs{kNobody, kNobody}); };
  auto open_errno = [&as_nobody](std::string path, int flags) {
    return as_nobody([path, flags] {
      int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
      return fd >= 0 ? 0 : errno;
    });
  };
  auto call_errno = [&as_nobody](auto fn) {
    return as_nobody([fn] { return fn() == 0 ? 0 : errno; });
  };

  CHECK_EQ(open_errno(p("pub/secret"), O_RDONLY), EACCES);
  CHECK_EQ(call_errno([&] { return access(p("pub/secret").c_str(), R_OK); }), EACCES);
  CHECK_EQ(open_errno(p("pub/readable"), O_RDONLY), 0);
  CHECK_EQ(open_errno(p("pub/readable"), O_WRONLY), EACCES);
  CHECK_EQ(open_errno(p("pub/group"), O_RDONLY), 0);  // through the group bits
  CHECK_EQ(open_errno(p("pub/group"), O_WRONLY), EACCES);
  CHECK_EQ(as_nobody([&] {
             int fd = open(p("pub/readable").c_str(), O_RDONLY | O_CLOEXEC);
             char c = 0;
             return fd >= 0 && read(fd, &c, 1) == 1 && c == 'r' ? 0 : 1;
           }),
           0);
  CHECK_EQ(call_errno([&] { return truncate(p("pub/readable").c_str(), 0); }), EACCES);
  CHECK_EQ(open_errno(p("pub/new"), O_CREAT | O_WRONLY), EACCES);  // no write on the dir
  CHECK_EQ(call_errno([&] { return mkdir(p("pub/newdir").c_str(), 0755); }), EACCES);
  CHECK_EQ(call_errno([&] { return unlink(p("pub/readable").c_str()); }), EACCES);
  CHECK_EQ(open_errno(p("pub/closed/inside"), O_RDONLY), EACCES);  // no search on closed/
  CHECK_EQ(open_errno(p("pub/closed"), O_RDONLY | O_DIRECTORY), EACCES);
  CHECK_EQ(call_errno([&] {
             struct stat st;
             return stat(p("pub/closed/inside").c_str(), &st);
           }),
           EACCES);
  CHECK_EQ(call_errno([&] { return chmod(p("pub/readable").c_str(), 0777); }), EPERM);
  CHECK_EQ(call_errno([&] { return chown(p("pub/readable").c_str(), kNobody, kNobody); }), EPERM);
  const timespec t[2] = {{1, 0}, {1, 0}};
  CHECK_EQ(call_errno([&] { return utimensat(AT_FDCWD, p("pub/readable").c_str(), t, 0); }), EPERM);
  CHECK_EQ(call_errno([&] { return utimensat(AT_FDCWD, p("pub/readable").c_str(), nullptr, 0); }),
           EACCES);
  CHECK_EQ(call_errno([&] { return setxattr(p("pub/readable").c_str(), "user.x", "1", 1, 0); }),
           EACCES);

  // A world-writable directory: creation works and the file belongs to 65534.
  CHECK_EQ(open_errno(p("open/mine"), O_CREAT | O_WRONLY), 0);
  struct stat mine = stat_of(p("open/mine"));
  CHECK_EQ(mine.st_uid, kNobody);
  CHECK_EQ(mine.st_gid, kNobody);
  CHECK_EQ(call_errno([&] { return chmod(p("open/mine").c_str(), 0600); }), 0);
  // The sticky bit protects root's file from others.
  CHECK_EQ(call_errno([&] { return unlink(p("sticky/rootfile").c_str()); }), EPERM);
  CHECK_EQ(call_errno([&] { return rename(p("sticky/rootfile").c_str(), p("sticky/x").c_str()); }),
           EPERM);
  CHECK_EQ(open_errno(p("sticky/rootfile"), O_WRONLY), 0);  // 0666: writing is allowed

  // Root is not subject to any of it.
  CHECK_EQ(read_file(p("pub/secret")), "s");
}

TEST_CASE("attrs: user.* extended attributes") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("f");
  write_file(f, "x");
  char buf[8];
  CHECK_ERRNO(getxattr(f.c_str(), "user.missing", buf, sizeof buf), ENODATA);
  CHECK_ERRNO(removexattr(f.c_str(), "user.missing"), ENODATA);
  CHECK(user_xattrs(f).empty());

  REQUIRE_OK(setxattr(f.c_str(), "user.a", "va", 2, 0));
  CHECK_EQ(getxattr(f.c_str(), "user.a", nullptr, 0), 2);
  CHECK_EQ(get_xattr(f, "user.a"), "va");
  CHECK_ERRNO(getxattr(f.c_str(), "user.a", buf, 1), ERANGE);
  CHECK_ERRNO(setxattr(f.c_str(), "user.a", "x", 1, XATTR_CREATE), EEXIST);
  CHECK_ERRNO(setxattr(f.c_str(), "user.b", "x", 1, XATTR_REPLACE), ENODATA);
  CHECK_ERRNO(getxattr(f.c_str(), "user.b", buf, sizeof buf), ENODATA);
  REQUIRE_OK(setxattr(f.c_str(), "user.a", "replaced", 8, XATTR_REPLACE));
  CHECK_EQ(get_xattr(f, "user.a"), "replaced");
  REQUIRE_OK(setxattr(f.c_str(), "user.b", "", 0, XATTR_CREATE));  // empty value
  CHECK_EQ(get_xattr(f, "user.b"), "");

  // A 4 KiB binary value (NULs included).
  std::string big = random_bytes(4096, 81);
  big[0] = big[100] = '\0';
  if (setxattr(f.c_str(), "user.big", big.data(), big.size(), 0) != 0) {
    int e = errno;
    // ext4 with 4 KiB blocks cannot hold it; every real mount must.
    REQUIRE_MESSAGE((!fx.real() && e == ENOSPC), "setxattr of 4 KiB: " << errno_name(e));
    MESSAGE("the plain file system cannot hold a 4 KiB xattr value; use tmpfs to check it");
    big = random_bytes(2000, 82);
    REQUIRE_OK(setxattr(f.c_str(), "user.big", big.data(), big.size(), 0));
  }
  CHECK_BYTES(get_xattr(f, "user.big"), big);
  CHECK(user_xattrs(f) == std::set<std::string>{"user.a", "user.b", "user.big"});
  ssize_t listed = listxattr(f.c_str(), nullptr, 0);
  CHECK_GE(listed, 22);
  CHECK_ERRNO(listxattr(f.c_str(), buf, 3), ERANGE);

  REQUIRE_OK(removexattr(f.c_str(), "user.a"));
  CHECK_ERRNO(getxattr(f.c_str(), "user.a", buf, sizeof buf), ENODATA);
  CHECK_ERRNO(removexattr(f.c_str(), "user.a"), ENODATA);
  CHECK(user_xattrs(f) == std::set<std::string>{"user.b", "user.big"});

  // Through a descriptor, on a directory, across rename and hard links.
  {
    Fd fd = open_or_die(f, O_RDONLY);
    REQUIRE_OK(fsetxattr(fd.get(), "user.fd", "1", 1, 0));
    CHECK_EQ(fgetxattr(fd.get(), "user.fd", buf, sizeof buf), 1);
    REQUIRE_OK(fremovexattr(fd.get(), "user.fd"));
    CHECK_ERRNO(fgetxattr(fd.get(), "user.fd", buf, sizeof buf), ENODATA);
  }
  REQUIRE_OK(mkdir(fx.path("d").c_str(), 0755));
  REQUIRE_OK(setxattr(fx.path("d").c_str(), "user.dir", "dv", 2, 0));
  CHECK_EQ(get_xattr(fx.path("d"), "user.dir"), "dv");
  REQUIRE_OK(rename(f.c_str(), fx.path("d/moved").c_str()));
  REQUIRE_OK(link(fx.path("d/moved").c_str(), fx.path("hard").c_str()));
  CHECK_BYTES(get_xattr(fx.path("hard"), "user.big"), big);

  // The kernel's own limits and rules.
  REQUIRE_OK(symlink("hard", fx.path("l").c_str()));
  CHECK_ERRNO(lsetxattr(fx.path("l").c_str(), "user.x", "1", 1, 0), EPERM);
  CHECK_ERRNO(lgetxattr(fx.path("l").c_str(), "user.x", buf, sizeof buf), ENODATA);
  std::string huge(65537, 'h');
  CHECK_ERRNO(setxattr(fx.path("hard").c_str(), "user.huge", huge.data(), huge.size(), 0), E2BIG);
  std::string long_name = "user." + std::string(251, 'n');
  CHECK_ERRNO(setxattr(fx.path("hard").c_str(), long_name.c_str(), "1", 1, 0), ERANGE);
}

}  // namespace peerstore::test
