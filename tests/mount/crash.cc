// Mount tests, crashes and clean stops: after kill -9 every fsync'd byte is back and the file
// system works; after SIGTERM, SIGINT or fusermount3 -u the process exits 0 and everything,
// fsync'd or not, is committed. Needs a real mount.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "mount/mount_test_util.h"
#include "mount/tree_snapshot.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

void write_and_fsync(const std::string& path, std::string_view data) {
  Fd fd = open_or_die(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  write_at(fd.get(), data, 0);
  REQUIRE_OK(fsync(fd.get()));
}

void fsync_dir(const std::string& path) {
  Fd fd = open_or_die(path, O_RDONLY | O_DIRECTORY);
  REQUIRE_OK(fsync(fd.get()));
}

// Bytes past what was fsync'd may or may not have been committed, but never garbage: each is
// either what was written or zero (a hole not yet filled at commit time).
std::string unsynced_tail_problem(std::string_view got, std::string_view written) {
  if (got.size() > written.size())
    return "size " + std::to_string(got.size()) + " exceeds the " + std::to_string(written.size()) +
           " bytes ever written";
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != written[i] && got[i] != '\0')
      return "byte " + std::to_string(i) + " is neither written data nor zero";
  return {};
}

}  // namespace

TEST_CASE("crash: after kill -9 every fsync'd byte is back and the file system works") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  auto p = [&fx](const std::string& rel) { return fx.path(rel); };
  const std::string synced_big = random_bytes(300000, 2001);
  const std::string synced_small = "small synced content";
  const std::string inner = random_bytes(70000, 2002);
  write_and_fsync(p("synced-big"), synced_big);
  write_and_fsync(p("synced-small"), synced_small);
  REQUIRE_OK(mkdir(p("dir").c_str(), 0755));
  write_and_fsync(p("dir/inner"), inner);
  fsync_dir(p("dir"));
  write_and_fsync(p("to-rename"), "renamed content");
  REQUIRE_OK(rename(p("to-rename").c_str(), p("renamed").c_str()));
  write_and_fsync(p("doomed"), "doomed");
  REQUIRE_OK(unlink(p("doomed").c_str()));
  fsync_dir(fx.mountpoint());

  // Now writes nobody fsyncs.
  const std::string appended = random_bytes(100000, 2003);
  {
    Fd fd = open_or_die(p("synced-big"), O_WRONLY | O_APPEND);
    write_at(fd.get(), appended, 0);  // O_APPEND: lands at the end
  }
  const std::string unsynced = random_bytes(50000, 2004);
  write_file(p("unsynced-new"), unsynced);
  const std::string seen_before = read_file(p("synced-big"));
  REQUIRE_EQ(seen_before.size(), synced_big.size() + appended.size());

  fx.crash();
  fx.mount();

  std::string big = read_file(p("synced-big"));
  REQUIRE_GE(big.size(), synced_big.size());
  CHECK_BYTES(std::string_view(big).substr(0, synced_big.size()), synced_big);
  std::string tail_problem =
      unsynced_tail_problem(std::string_view(big).substr(synced_big.size()), appended);
  CHECK_MESSAGE(tail_problem.empty(), "synced-big after its fsync'd part: " << tail_problem);
  CHECK_EQ(read_file(p("synced-small")), synced_small);
  CHECK_BYTES(read_file(p("dir/inner")), inner);
  CHECK_EQ(read_file(p("renamed")), "renamed content");
  CHECK_ERRNO(access(p("to-rename").c_str(), F_OK), ENOENT);
  CHECK_ERRNO(access(p("doomed").c_str(), F_OK), ENOENT);
  if (access(p("unsynced-new").c_str(), F_OK) == 0) {
    std::string got = read_file(p("unsynced-new"));
    std::string problem = unsynced_tail_problem(got, unsynced);
    CHECK_MESSAGE(problem.empty(), "unsynced-new: " << problem);
  }

  // Usable: listing, new writes, and a clean unmount that keeps them.
  auto names = dir_names(fx.mountpoint());
  for (const char* want : {"dir", "renamed", "synced-big", "synced-small"})
    CHECK_MESSAGE(std::count(names.begin(), names.end(), want) == 1, want << " not listed");
  const std::string fresh = random_bytes(200000, 2005);
  write_and_fsync(p("after-crash"), fresh);
  REQUIRE_OK(mkdir(p("after-crash-dir").c_str(), 0755));
  write_file(p("after-crash-dir/f"), "f");
  CHECK_BYTES(read_file(p("after-crash")), fresh);
  {
    Fd fd = open_or_die(p("synced-small"), O_WRONLY | O_APPEND);
    write_at(fd.get(), "+appended", 0);
  }
  fx.remount();
  CHECK_BYTES(read_file(p("after-crash")), fresh);
  CHECK_EQ(read_file(p("after-crash-dir/f")), "f");
  CHECK_EQ(read_file(p("synced-small")), synced_small + "+appended");
}

TEST_CASE("crash: two crashes in a row and then a clean stop") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  write_and_fsync(fx.path("one"), "1");
  fx.crash();
  fx.mount();
  write_and_fsync(fx.path("two"), "2");
  fx.crash();
  fx.mount();
  CHECK_EQ(read_file(fx.path("one")), "1");
  CHECK_EQ(read_file(fx.path("two")), "2");
  CHECK_EQ(fx.unmount(), 0);
}

TEST_CASE("crash: a clean stop commits everything and exits 0") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  REQUIRE_OK(mkdir(fx.path("tree").c_str(), 0755));
  const std::string root = fx.path("tree");
  populate_sample_tree(root, 3000);  // nothing here is fsync'd
  write_file(root + "/last-moment", random_bytes(150000, 3001));
  TreeSnapshot before = snapshot_tree(root);

  SUBCASE("SIGTERM") {
    int status = fx.stop_with_signal(SIGTERM);
    CHECK_MESSAGE(status == 0, "exit status after SIGTERM: " << fx.log());
    CHECK_MESSAGE(!fx.is_mounted(), "SIGTERM left the mount behind");
  }
  SUBCASE("SIGINT") {
    int status = fx.stop_with_signal(SIGINT);
    CHECK_MESSAGE(status == 0, "exit status after SIGINT: " << fx.log());
    CHECK_MESSAGE(!fx.is_mounted(), "SIGINT left the mount behind");
  }
  SUBCASE("fusermount3 -u") {
    CHECK_EQ(fx.unmount(), 0);
  }
  if (fx.is_mounted()) run_fusermount({"-uz"}, fx.mountpoint(), fx.new_log_path("fusermount"));
  fx.mount();
  TreeSnapshot after = snapshot_tree(root, &before);
  std::string diff = compare_snapshots(before, after);
  CHECK_MESSAGE(diff.empty(), "after the clean stop:\n" << diff);
}

}  // namespace peerstore::test
