// Mount tests, directories: mkdir/rmdir and their errnos, st_nlink, readdir, rename in all its
// forms (renameat2 flags included), 255-byte names with odd bytes, and a 100,000-entry directory.
// Every expectation here also holds on ext4/tmpfs (run with PEERSTORE_TEST_DIR to check).
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_set>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {

TEST_CASE("dirs: mkdir and rmdir with their errnos") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string d = fx.path("d");
  REQUIRE_OK(mkdir(d.c_str(), 0750));
  struct stat st = stat_of(d);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0750u);
  CHECK_EQ(st.st_nlink, 2u);
  CHECK_EQ(st.st_uid, geteuid());
  CHECK(dir_names(d).empty());

  CHECK_ERRNO(mkdir(d.c_str(), 0755), EEXIST);
  CHECK_ERRNO(mkdir((d + "/").c_str(), 0755), EEXIST);
  write_file(fx.path("f"), "file");
  CHECK_ERRNO(mkdir(fx.path("f").c_str(), 0755), EEXIST);
  CHECK_ERRNO(mkdir(fx.path("f/sub").c_str(), 0755), ENOTDIR);
  CHECK_ERRNO(mkdir(fx.path("missing/sub").c_str(), 0755), ENOENT);

  REQUIRE_OK(mkdir((d + "/sub").c_str(), 0755));
  write_file(d + "/file", "x");
  CHECK_ERRNO(rmdir(d.c_str()), ENOTEMPTY);
  CHECK_ERRNO(rmdir(fx.path("f").c_str()), ENOTDIR);
  CHECK_ERRNO(rmdir((d + "/file/").c_str()), ENOTDIR);
  CHECK_ERRNO(rmdir(fx.path("missing").c_str()), ENOENT);
  CHECK_ERRNO(rmdir((d + "/.").c_str()), EINVAL);
  CHECK_ERRNO(unlink(d.c_str()), EISDIR);
  CHECK_ERRNO(unlink(fx.path("missing").c_str()), ENOENT);

  REQUIRE_OK(rmdir((d + "/sub").c_str()));
  CHECK_ERRNO(rmdir(d.c_str()), ENOTEMPTY);  // a file alone keeps it non-empty
  REQUIRE_OK(unlink((d + "/file").c_str()));
  REQUIRE_OK(rmdir(d.c_str()));
  CHECK_ERRNO(access(d.c_str(), F_OK), ENOENT);
  // A trailing slash is fine for directories.
  REQUIRE_OK(mkdir(fx.path("d2/").c_str(), 0700));
  REQUIRE_OK(rmdir(fx.path("d2/").c_str()));
  // Deep nesting.
  std::string deep = fx.path("n");
  REQUIRE_OK(mkdir(deep.c_str(), 0755));
  for (int i = 0; i < 30; ++i) {
    deep += "/n";
    REQUIRE_OK(mkdir(deep.c_str(), 0755));
  }
  write_file(deep + "/leaf", "deep");
  CHECK_EQ(read_file(deep + "/leaf"), "deep");
}

TEST_CASE("dirs: st_nlink is 2 plus the number of subdirectories") {
  MountFixture fx;
  if (!fx.usable()) return;
  nlink_t root_before = stat_of(fx.mountpoint()).st_nlink;
  std::string p = fx.path("p"), q = fx.path("q");
  REQUIRE_OK(mkdir(p.c_str(), 0755));
  REQUIRE_OK(mkdir(q.c_str(), 0755));
  CHECK_EQ(stat_of(fx.mountpoint()).st_nlink, root_before + 2);
  REQUIRE_OK(mkdir((p + "/a").c_str(), 0755));
  REQUIRE_OK(mkdir((p + "/b").c_str(), 0755));
  CHECK_EQ(stat_of(p).st_nlink, 4u);
  write_file(p + "/file", "files do not count");
  REQUIRE_OK(symlink("a", (p + "/link").c_str()));
  CHECK_EQ(stat_of(p).st_nlink, 4u);
  REQUIRE_OK(rmdir((p + "/a").c_str()));
  CHECK_EQ(stat_of(p).st_nlink, 3u);
  REQUIRE_OK(rename((p + "/b").c_str(), (q + "/b").c_str()));
  CHECK_EQ(stat_of(p).st_nlink, 2u);
  CHECK_EQ(stat_of(q).st_nlink, 3u);
  CHECK_EQ(stat_of(q + "/b").st_nlink, 2u);
  REQUIRE_OK(rmdir((q + "/b").c_str()));
  CHECK_EQ(stat_of(q).st_nlink, 2u);
}

TEST_CASE("dirs: readdir lists each entry once with its type and inode") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string d = fx.path("d");
  REQUIRE_OK(mkdir(d.c_str(), 0755));
  write_file(d + "/file", "f");
  REQUIRE_OK(mkdir((d + "/dir").c_str(), 0755));
  REQUIRE_OK(symlink("file", (d + "/link").c_str()));
  REQUIRE_OK(mkfifo((d + "/fifo").c_str(), 0644));
  auto entries = read_dir(d);
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  REQUIRE_EQ(entries.size(), 4u);
  const std::pair<const char*, unsigned char> want[] = {
      {"dir", DT_DIR}, {"fifo", DT_FIFO}, {"file", DT_REG}, {"link", DT_LNK}};
  for (size_t i = 0; i < 4; ++i) {
    CAPTURE(entries[i].name);
    CHECK_EQ(entries[i].name, want[i].first);
    CHECK_MESSAGE((entries[i].type == want[i].second || entries[i].type == DT_UNKNOWN),
                  "d_type " << int(entries[i].type));
    CHECK_EQ(entries[i].ino, lstat_of(d + "/" + entries[i].name).st_ino);
  }
  // "." and ".." come exactly once each, and ".." is the parent.
  DIR* dir = opendir(d.c_str());
  REQUIRE(dir);
  int dots = 0, dotdots = 0;
  while (dirent* e = readdir(dir)) {
    if (std::string(e->d_name) == ".") ++dots;
    if (std::string(e->d_name) == "..") ++dotdots;
  }
  closedir(dir);
  CHECK_EQ(dots, 1);
  CHECK_EQ(dotdots, 1);
  CHECK_EQ(stat_of(d + "/..").st_ino, stat_of(fx.mountpoint()).st_ino);
  CHECK_EQ(stat_of(d + "/.").st_ino, stat_of(d).st_ino);
  // A fresh listing reflects a deletion.
  REQUIRE_OK(unlink((d + "/file").c_str()));
  CHECK(dir_names(d) == std::vector<std::string>{"dir", "fifo", "link"});
}

TEST_CASE("dirs: rename") {
  MountFixture fx;
  if (!fx.usable()) return;
  auto p = [&fx](const char* rel) { return fx.path(rel); };

  // Within a directory: same inode, content intact, old name gone.
  write_file(p("a"), "A");
  ino_t ino_a = stat_of(p("a")).st_ino;
  REQUIRE_OK(rename(p("a").c_str(), p("b").c_str()));
  CHECK_ERRNO(access(p("a").c_str(), F_OK), ENOENT);
  CHECK_EQ(read_file(p("b")), "A");
  CHECK_EQ(stat_of(p("b")).st_ino, ino_a);

  // Over an existing file: replaced; a descriptor on the old target still reads it.
  write_file(p("c"), "C");
  {
    Fd old_c = open_or_die(p("c"), O_RDONLY);
    REQUIRE_OK(rename(p("b").c_str(), p("c").c_str()));
    CHECK_EQ(read_file(p("c")), "A");
    CHECK_EQ(stat_of(p("c")).st_ino, ino_a);
    CHECK_EQ(read_at(old_c.get(), 0, 10), "C");
    CHECK_EQ(fstat_of(old_c.get()).st_nlink, 0u);
  }
  CHECK_ERRNO(access(p("b").c_str(), F_OK), ENOENT);
  // Onto itself, and onto another hard link of itself: nothing happens.
  REQUIRE_OK(rename(p("c").c_str(), p("c").c_str()));
  REQUIRE_OK(link(p("c").c_str(), p("c2").c_str()));
  REQUIRE_OK(rename(p("c").c_str(), p("c2").c_str()));
  CHECK_EQ(stat_of(p("c")).st_nlink, 2u);
  CHECK_EQ(read_file(p("c2")), "A");

  // File over a directory and the reverse.
  REQUIRE_OK(mkdir(p("e").c_str(), 0755));
  CHECK_ERRNO(rename(p("c").c_str(), p("e").c_str()), EISDIR);
  REQUIRE_OK(mkdir(p("g").c_str(), 0755));
  CHECK_ERRNO(rename(p("g").c_str(), p("c").c_str()), ENOTDIR);

  // Directory over an empty directory: replaced, contents travel.
  REQUIRE_OK(mkdir(p("h").c_str(), 0755));
  write_file(p("h/x"), "hx");
  REQUIRE_OK(rename(p("h").c_str(), p("e").c_str()));
  CHECK_EQ(read_file(p("e/x")), "hx");
  CHECK_ERRNO(access(p("h").c_str(), F_OK), ENOENT);

  // Directory onto a non-empty directory.
  REQUIRE_OK(mkdir(p("n1").c_str(), 0755));
  write_file(p("n1/x"), "1");
  REQUIRE_OK(mkdir(p("n2").c_str(), 0755));
  write_file(p("n2/y"), "2");
  CHECK_ERRNO(rename(p("n1").c_str(), p("n2").c_str()), ENOTEMPTY);
  CHECK_EQ(read_file(p("n1/x")), "1");
  CHECK_EQ(read_file(p("n2/y")), "2");

  // A directory into its own subtree.
  REQUIRE_OK(mkdir(p("t").c_str(), 0755));
  REQUIRE_OK(mkdir(p("t/u").c_str(), 0755));
  CHECK_ERRNO(rename(p("t").c_str(), p("t/u/v").c_str()), EINVAL);
  CHECK_ERRNO(rename(p("t").c_str(), p("t/v").c_str()), EINVAL);

  // Missing source or target directory.
  CHECK_ERRNO(rename(p("missing").c_str(), p("z").c_str()), ENOENT);
  CHECK_ERRNO(rename(p("c").c_str(), p("missing/z").c_str()), ENOENT);

  // Across directories: parent link counts and ".." follow the move.
  REQUIRE_OK(mkdir(p("src").c_str(), 0755));
  REQUIRE_OK(mkdir(p("dst").c_str(), 0755));
  REQUIRE_OK(mkdir(p("src/mv").c_str(), 0755));
  write_file(p("src/mv/f"), "moved");
  write_file(p("src/file"), "file");
  CHECK_EQ(stat_of(p("src")).st_nlink, 3u);
  REQUIRE_OK(rename(p("src/mv").c_str(), p("dst/mv").c_str()));
  REQUIRE_OK(rename(p("src/file").c_str(), p("dst/file2").c_str()));
  CHECK_EQ(stat_of(p("src")).st_nlink, 2u);
  CHECK_EQ(stat_of(p("dst")).st_nlink, 3u);
  CHECK_EQ(stat_of(p("dst/mv/..")).st_ino, stat_of(p("dst")).st_ino);
  CHECK_EQ(read_file(p("dst/mv/f")), "moved");
  CHECK_EQ(read_file(p("dst/file2")), "file");
  CHECK(dir_names(p("src")).empty());
  CHECK(dir_names(p("dst")) == std::vector<std::string>{"file2", "mv"});

  // renameat2(RENAME_NOREPLACE).
  write_file(p("x"), "x");
  write_file(p("y"), "y");
  CHECK_ERRNO(renameat2(AT_FDCWD, p("x").c_str(), AT_FDCWD, p("y").c_str(), RENAME_NOREPLACE),
              EEXIST);
  CHECK_EQ(read_file(p("x")), "x");
  CHECK_EQ(read_file(p("y")), "y");
  REQUIRE_OK(renameat2(AT_FDCWD, p("x").c_str(), AT_FDCWD, p("x2").c_str(), RENAME_NOREPLACE));
  CHECK_EQ(read_file(p("x2")), "x");

  // renameat2(RENAME_EXCHANGE) of a file and a directory in different parents.
  REQUIRE_OK(mkdir(p("p1").c_str(), 0755));
  REQUIRE_OK(mkdir(p("p2").c_str(), 0755));
  write_file(p("p1/ef"), "file");
  REQUIRE_OK(mkdir(p("p2/ed").c_str(), 0755));
  write_file(p("p2/ed/inner"), "inner");
  ino_t ino_f = stat_of(p("p1/ef")).st_ino, ino_d = stat_of(p("p2/ed")).st_ino;
  REQUIRE_OK(
      renameat2(AT_FDCWD, p("p1/ef").c_str(), AT_FDCWD, p("p2/ed").c_str(), RENAME_EXCHANGE));
  CHECK(S_ISDIR(stat_of(p("p1/ef")).st_mode));
  CHECK_EQ(stat_of(p("p1/ef")).st_ino, ino_d);
  CHECK_EQ(read_file(p("p1/ef/inner")), "inner");
  CHECK_EQ(stat_of(p("p1/ef/..")).st_ino, stat_of(p("p1")).st_ino);
  CHECK(S_ISREG(stat_of(p("p2/ed")).st_mode));
  CHECK_EQ(stat_of(p("p2/ed")).st_ino, ino_f);
  CHECK_EQ(read_file(p("p2/ed")), "file");
  CHECK_EQ(stat_of(p("p1")).st_nlink, 3u);
  CHECK_EQ(stat_of(p("p2")).st_nlink, 2u);
  CHECK_ERRNO(
      renameat2(AT_FDCWD, p("p2/ed").c_str(), AT_FDCWD, p("p2/none").c_str(), RENAME_EXCHANGE),
      ENOENT);
  CHECK_ERRNO(renameat2(AT_FDCWD, p("p2/ed").c_str(), AT_FDCWD, p("p1/ef").c_str(),
                        RENAME_EXCHANGE | RENAME_NOREPLACE),
              EINVAL);
}

TEST_CASE("dirs: 255-byte names with odd bytes work; 256 bytes is ENAMETOOLONG") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string d = fx.path("names");
  REQUIRE_OK(mkdir(d.c_str(), 0755));
  std::string odd;
  for (int b = 1; b <= 255; ++b)
    if (b != '/') odd += static_cast<char>(b);
  REQUIRE_EQ(odd.size(), 254u);
  const std::string name255 = odd + "x";
  const std::string dir255(255, 'D');
  const std::set<std::string> names = {name255,
                                       dir255,
                                       "new\nline",
                                       "back\\slash",
                                       " lead and trail ",
                                       "-rf",
                                       "...",
                                       ".hidden",
                                       "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                       "\xff\xfe not utf-8",
                                       "*?[glob]",
                                       "tab\there"};
  for (const auto& n : names) {
    CAPTURE(n.size());
    if (n == dir255) {
      REQUIRE_OK(mkdir((d + "/" + n).c_str(), 0755));
    } else {
      write_file(d + "/" + n, n);
    }
  }
  auto listed = dir_names(d);
  CHECK(std::set<std::string>(listed.begin(), listed.end()) == names);
  CHECK_EQ(listed.size(), names.size());
  CHECK_EQ(read_file(d + "/" + name255), name255);
  CHECK(S_ISDIR(stat_of(d + "/" + dir255).st_mode));
  write_file(d + "/" + dir255 + "/" + name255, "nested");
  CHECK_EQ(read_file(d + "/" + dir255 + "/" + name255), "nested");

  // Renaming between 255-byte names.
  std::string other255 = std::string(254, 'o') + "\x01";
  REQUIRE_OK(rename((d + "/" + name255).c_str(), (d + "/" + other255).c_str()));
  CHECK_EQ(read_file(d + "/" + other255), name255);

  const std::string long_path = d + "/" + std::string(256, 'n');
  const std::string existing = d + "/" + other255;
  CHECK_ERRNO(open(long_path.c_str(), O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
  CHECK_ERRNO(mkdir(long_path.c_str(), 0755), ENAMETOOLONG);
  CHECK_ERRNO(symlink("target", long_path.c_str()), ENAMETOOLONG);
  CHECK_ERRNO(mkfifo(long_path.c_str(), 0644), ENAMETOOLONG);
  CHECK_ERRNO(link(existing.c_str(), long_path.c_str()), ENAMETOOLONG);
  CHECK_ERRNO(rename(existing.c_str(), long_path.c_str()), ENAMETOOLONG);
  CHECK_ERRNO(access(long_path.c_str(), F_OK), ENAMETOOLONG);
  CHECK_ERRNO(open((d + "/" + std::string(300, 'm')).c_str(), O_RDONLY), ENAMETOOLONG);
  CHECK_EQ(dir_names(d).size(), names.size());  // nothing was created

  for (const auto& n : dir_names(d)) {
    std::string full = d + "/" + n;
    if (S_ISDIR(lstat_of(full).st_mode)) {
      for (const auto& m : dir_names(full)) REQUIRE_OK(unlink((full + "/" + m).c_str()));
      REQUIRE_OK(rmdir(full.c_str()));
    } else {
      REQUIRE_OK(unlink(full.c_str()));
    }
  }
  CHECK(dir_names(d).empty());
}

TEST_CASE("dirs: a directory of 100000 entries") {
  MountFixture fx;
  if (!fx.usable()) return;
  using Clock = std::chrono::steady_clock;
  const int n = 100000;
  auto name_of = [](int i) {
    // Mixed lengths, so entries do not all pack the same way.
    std::string s = "entry-" + std::to_string(i);
    if (i % 1000 == 7) s += "-" + std::string(200, 'L');
    return s;
  };
  std::string d = fx.path("big");
  REQUIRE_OK(mkdir(d.c_str(), 0755));
  Fd dfd = open_or_die(d, O_RDONLY | O_DIRECTORY);
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    int fd = openat(dfd.get(), name_of(i).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
      int e = errno;
      FAIL("create entry " << i << ": " << errno_name(e));
    }
    close(fd);
  }
  auto t1 = Clock::now();

  std::unordered_set<std::string> seen;
  seen.reserve(n);
  int duplicates = 0;
  for (const auto& e : read_dir(d)) duplicates += !seen.insert(e.name).second;
  CHECK_EQ(duplicates, 0);
  CHECK_EQ(seen.size(), static_cast<size_t>(n));
  int missing = 0;
  for (int i = 0; i < n; ++i) missing += !seen.count(name_of(i));
  CHECK_EQ(missing, 0);
  CHECK_EQ(stat_of(d).st_nlink, 2u);
  for (int i = 0; i < n; i += 9973) {
    struct stat st;
    REQUIRE_OK(fstatat(dfd.get(), name_of(i).c_str(), &st, AT_SYMLINK_NOFOLLOW));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 0);
  }
  auto t2 = Clock::now();

  // Delete the way rm -r does: unlink each entry as readdir returns it. Removing entries
  // during the walk must not make the walk skip (or repeat) the others.
  DIR* dir = opendir(d.c_str());
  REQUIRE(dir);
  int deleted = 0, unlink_errors = 0;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (unlinkat(dirfd(dir), e->d_name, 0) == 0) {
      ++deleted;
    } else {
      ++unlink_errors;
    }
  }
  closedir(dir);
  CHECK_EQ(unlink_errors, 0);
  CHECK_EQ(deleted, n);
  auto left = dir_names(d);
  CHECK_MESSAGE(left.empty(), left.size() << " entries were skipped by the deleting walk");
  for (const auto& name : left) unlinkat(dfd.get(), name.c_str(), 0);
  dfd.close();
  CHECK_OK(rmdir(d.c_str()));
  auto t3 = Clock::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  MESSAGE("100,000 entries: create " << secs(t0, t1) << " s, list+stat " << secs(t1, t2)
                                     << " s, delete " << secs(t2, t3) << " s");
  WARN_MESSAGE(secs(t0, t3) < 60, "the 100,000-entry directory took over 60 s");
}

}  // namespace peerstore::test
