// Mount tests, links and special files: hard links (st_nlink, shared inode), symlinks and
// readlink (long and dangling targets, loops), FIFOs and other mknod types.
// Every expectation here also holds on ext4/tmpfs (run with PEERSTORE_TEST_DIR to check).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

std::string read_link(const std::string& path) {
  std::string buf(PATH_MAX + 1, '\0');
  ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
  int e = errno;
  REQUIRE_MESSAGE(n >= 0, "readlink " << path << ": " << errno_name(e));
  buf.resize(n);
  return buf;
}

// A symlink target of exactly `length` bytes made of path components of at most 200 bytes.
std::string long_target(size_t length) {
  std::string t;
  while (t.size() < length) {
    size_t piece = std::min<size_t>(200, length - t.size());
    t += std::string(piece, static_cast<char>('a' + t.size() % 26));
    if (t.size() < length) t += '/';
  }
  return t;
}

}  // namespace

TEST_CASE("links: hard links share the inode and count links") {
  MountFixture fx;
  if (!fx.usable()) return;
  auto p = [&fx](const std::string& rel) { return fx.path(rel); };
  write_file(p("a"), "shared");
  REQUIRE_OK(link(p("a").c_str(), p("b").c_str()));
  struct stat sa = stat_of(p("a")), sb = stat_of(p("b"));
  CHECK_EQ(sa.st_ino, sb.st_ino);
  CHECK_EQ(sa.st_nlink, 2u);
  CHECK_EQ(sb.st_nlink, 2u);

  // One inode: a write through one name shows through the other, and so does chmod.
  {
    Fd fd = open_or_die(p("b"), O_WRONLY | O_APPEND);
    REQUIRE_EQ(write(fd.get(), "+more", 5), 5);
  }
  CHECK_EQ(read_file(p("a")), "shared+more");
  REQUIRE_OK(chmod(p("a").c_str(), 0600));
  CHECK_EQ(stat_of(p("b")).st_mode & 07777, 0600u);

  REQUIRE_OK(mkdir(p("sub").c_str(), 0755));
  REQUIRE_OK(link(p("a").c_str(), p("sub/c").c_str()));
  CHECK_EQ(stat_of(p("b")).st_nlink, 3u);
  Fd held = open_or_die(p("a"), O_RDONLY);
  CHECK_EQ(fstat_of(held.get()).st_nlink, 3u);

  REQUIRE_OK(unlink(p("a").c_str()));
  CHECK_EQ(stat_of(p("b")).st_nlink, 2u);
  CHECK_EQ(fstat_of(held.get()).st_nlink, 2u);
  CHECK_EQ(read_file(p("b")), "shared+more");
  CHECK_EQ(read_file(p("sub/c")), "shared+more");

  CHECK_ERRNO(link(p("b").c_str(), p("sub/c").c_str()), EEXIST);
  CHECK_ERRNO(link(p("missing").c_str(), p("x").c_str()), ENOENT);
  CHECK_ERRNO(link(p("b").c_str(), p("missing/x").c_str()), ENOENT);
  REQUIRE_OK(mkdir(p("dir").c_str(), 0755));
  CHECK_ERRNO(link(p("dir").c_str(), p("dir2").c_str()), EPERM);

  // Many links, then back to one.
  for (int i = 0; i < 10; ++i)
    REQUIRE_OK(link(p("b").c_str(), p("many-" + std::to_string(i)).c_str()));
  CHECK_EQ(stat_of(p("b")).st_nlink, 12u);
  for (int i = 0; i < 10; ++i) REQUIRE_OK(unlink(p("many-" + std::to_string(i)).c_str()));
  REQUIRE_OK(unlink(p("sub/c").c_str()));
  CHECK_EQ(stat_of(p("b")).st_nlink, 1u);
  CHECK_EQ(read_file(p("b")), "shared+more");

  // linkat without AT_SYMLINK_FOLLOW links the symlink itself.
  REQUIRE_OK(symlink("b", p("sym").c_str()));
  REQUIRE_OK(linkat(AT_FDCWD, p("sym").c_str(), AT_FDCWD, p("sym-link").c_str(), 0));
  CHECK(S_ISLNK(lstat_of(p("sym-link")).st_mode));
  CHECK_EQ(lstat_of(p("sym-link")).st_ino, lstat_of(p("sym")).st_ino);
  CHECK_EQ(lstat_of(p("sym")).st_nlink, 2u);
  REQUIRE_OK(
      linkat(AT_FDCWD, p("sym").c_str(), AT_FDCWD, p("followed").c_str(), AT_SYMLINK_FOLLOW));
  CHECK_EQ(stat_of(p("followed")).st_ino, stat_of(p("b")).st_ino);
}

TEST_CASE("links: symlinks and readlink") {
  MountFixture fx;
  if (!fx.usable()) return;
  auto p = [&fx](const std::string& rel) { return fx.path(rel); };
  REQUIRE_OK(mkdir(p("d").c_str(), 0755));
  write_file(p("d/target"), "content");
  REQUIRE_OK(symlink("target", p("d/l").c_str()));
  struct stat ls = lstat_of(p("d/l"));
  CHECK(S_ISLNK(ls.st_mode));
  CHECK_EQ(ls.st_size, 6);
  CHECK_EQ(read_link(p("d/l")), "target");
  CHECK_EQ(read_file(p("d/l")), "content");  // relative to the link's directory
  CHECK_EQ(stat_of(p("d/l")).st_ino, stat_of(p("d/target")).st_ino);
  CHECK_ERRNO(open(p("d/l").c_str(), O_RDONLY | O_NOFOLLOW), ELOOP);

  // Dangling: lstat and readlink work, stat does not; O_CREAT creates the target.
  REQUIRE_OK(symlink("nowhere/at/all", p("d/dangling").c_str()));
  CHECK_ERRNO(access(p("d/dangling").c_str(), F_OK), ENOENT);
  CHECK(S_ISLNK(lstat_of(p("d/dangling")).st_mode));
  CHECK_EQ(read_link(p("d/dangling")), "nowhere/at/all");
  REQUIRE_OK(symlink("created-through-link", p("d/creator").c_str()));
  { Fd fd = open_or_die(p("d/creator"), O_CREAT | O_WRONLY, 0644); }
  CHECK(S_ISREG(lstat_of(p("d/created-through-link")).st_mode));

  // Long targets: 4000 bytes, and the maximum of 4095; 4096 does not fit PATH_MAX.
  for (size_t len : {size_t(4000), size_t(4095)}) {
    CAPTURE(len);
    std::string t = long_target(len);
    std::string l = p("d/long-" + std::to_string(len));
    REQUIRE_OK(symlink(t.c_str(), l.c_str()));
    CHECK_EQ(lstat_of(l).st_size, static_cast<off_t>(len));
    CHECK_EQ(read_link(l), t);
  }
  CHECK_ERRNO(symlink(long_target(4096).c_str(), p("d/too-long").c_str()), ENAMETOOLONG);
  // Absolute targets, and readlink into a short buffer truncates.
  REQUIRE_OK(symlink("/etc/hostname", p("d/abs").c_str()));
  char small[4];
  CHECK_EQ(readlink(p("d/abs").c_str(), small, sizeof small), 4);
  CHECK_EQ(std::string(small, 4), "/etc");

  CHECK_ERRNO(readlink(p("d/target").c_str(), small, sizeof small), EINVAL);
  CHECK_ERRNO(symlink("x", p("d/target").c_str()), EEXIST);
  CHECK_ERRNO(symlink("x", p("d/l").c_str()), EEXIST);
  CHECK_ERRNO(symlink("", p("d/empty").c_str()), ENOENT);

  // To a directory: paths go through it.
  REQUIRE_OK(symlink("d", p("dl").c_str()));
  CHECK_EQ(read_file(p("dl/target")), "content");
  CHECK(S_ISDIR(stat_of(p("dl")).st_mode));
  CHECK(S_ISLNK(lstat_of(p("dl")).st_mode));
  CHECK_ERRNO(rmdir(p("dl").c_str()), ENOTDIR);

  // Loops.
  REQUIRE_OK(symlink("loop2", p("loop1").c_str()));
  REQUIRE_OK(symlink("loop1", p("loop2").c_str()));
  CHECK_ERRNO(access(p("loop1").c_str(), F_OK), ELOOP);

  // Unlinking a symlink leaves its target.
  REQUIRE_OK(unlink(p("d/l").c_str()));
  CHECK_EQ(read_file(p("d/target")), "content");
}

TEST_CASE("links: mknod FIFOs and other node types") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string fifo = fx.path("fifo");
  REQUIRE_OK(mkfifo(fifo.c_str(), 0640));
  struct stat st = lstat_of(fifo);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0640u);
  CHECK_EQ(st.st_size, 0);
  CHECK_ERRNO(mkfifo(fifo.c_str(), 0640), EEXIST);
  {
    // O_RDWR on a FIFO never blocks on Linux: a pipe with both ends in one descriptor.
    Fd fd = open_or_die(fifo, O_RDWR | O_NONBLOCK);
    REQUIRE_EQ(write(fd.get(), "ping", 4), 4);
    char buf[8];
    CHECK_EQ(read(fd.get(), buf, sizeof buf), 4);
    CHECK_EQ(std::string(buf, 4), "ping");
  }
  // A writer in another process, a reader here. The read end is open first (non-blocking), so
  // the writer's open does not wait for us; the pipe keeps the data after the writer exits.
  {
    Fd rd = open_or_die(fifo, O_RDONLY | O_NONBLOCK);
    int writer = run_forked([&fifo] {
      int fd = open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return 100;
      return write(fd, "hello", 5) == 5 ? 0 : 101;
    });
    CHECK_EQ(writer, 0);
    char buf[8];
    CHECK_EQ(read(rd.get(), buf, sizeof buf), 5);
    CHECK_EQ(std::string(buf, 5), "hello");
  }
  REQUIRE_OK(unlink(fifo.c_str()));
  CHECK_ERRNO(access(fifo.c_str(), F_OK), ENOENT);

  // mknod of a regular file, a socket node and (as root) a character device node.
  REQUIRE_OK(mknod(fx.path("regular").c_str(), S_IFREG | 0600, 0));
  CHECK(S_ISREG(lstat_of(fx.path("regular")).st_mode));
  CHECK_EQ(lstat_of(fx.path("regular")).st_mode & 07777, 0600u);
  REQUIRE_OK(mknod(fx.path("socket").c_str(), S_IFSOCK | 0644, 0));
  CHECK(S_ISSOCK(lstat_of(fx.path("socket")).st_mode));
  if (geteuid() == 0) {
    REQUIRE_OK(mknod(fx.path("chardev").c_str(), S_IFCHR | 0600, makedev(1, 3)));
    struct stat cs = lstat_of(fx.path("chardev"));
    CHECK(S_ISCHR(cs.st_mode));
    CHECK_EQ(cs.st_rdev, makedev(1, 3));
  }
  CHECK_ERRNO(mknod(fx.path("regular").c_str(), S_IFIFO | 0600, 0), EEXIST);
}

}  // namespace peerstore::test
