// End-to-end: the client without a mount on a 3-node ring. `peerstore backup` stores a tree of
// 300 files in nested directories with a symlink, a hard link, a 20 MB file, odd modes and an
// xattr under /backups/HOST/DIR; the user's mount shows it; `getfile` (by the original path)
// and `restore` bring it back identical; a second backup after one change sends only that;
// Ctrl-C in the middle of a backup and a rerun leave the tree complete; bad paths are one-line
// errors. Needs FUSE (the mount that shows the backup).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <random>
#include <regex>
#include <thread>

#include "e2e_steps.h"
#include "support/child_process.h"
#include "support/claim_rows.h"
#include "support/local_tree.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

struct CliRun {
  int status = -1;
  std::string out, err;
};

CliRun run_cli(Cluster& cluster, std::vector<std::string> args,
               std::chrono::milliseconds timeout = 120s, int interrupt_after_ms = -1) {
  std::vector<std::string> argv{cluster.binaries().cli};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string dir = cluster.new_dir("cli");
  ChildProcess p(argv, SpawnOptions{.stderr_path = dir + "/err", .stdout_path = dir + "/out"});
  if (interrupt_after_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interrupt_after_ms));
    p.signal(SIGINT);
  }
  auto rc = p.wait_exit(timeout);
  CliRun r;
  if (!rc) p.kill9();
  r.status = rc ? *rc : -1;
  r.out = p.stdout_text();
  r.err = p.output();
  return r;
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// The tree of the issue: 300 files in nested directories, a symlink, a hard link, a 20 MB
// file, odd modes, an xattr.
void make_tree(const std::string& src, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int d = 0; d < 10; ++d) {
    std::string dir = src + "/d" + std::to_string(d);
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir + "/sub").c_str(), d % 3 == 0 ? 0700 : 0755) == 0);
    for (int f = 0; f < 30; ++f) {
      std::string content(rng() % 9000, '\0');
      for (auto& c : content) c = char('a' + rng() % 26);
      write_local((f % 2 ? dir + "/sub/f" : dir + "/f") + std::to_string(f), content,
                  f % 7 == 0    ? 0600
                  : f % 11 == 0 ? 0751
                                : 0644);
    }
  }
  std::string big(20 << 20, '\0');
  for (auto& c : big) c = char(rng());
  write_local(src + "/big.bin", big);
  REQUIRE(::symlink("d1/f2", (src + "/link").c_str()) == 0);
  REQUIRE(::link((src + "/d2/f4").c_str(), (src + "/hard").c_str()) == 0);
  REQUIRE(::setxattr((src + "/d3/f6").c_str(), "user.note", "kept", 4, 0) == 0);
}

// "... N blocks uploaded ..." of a backup's summary line.
long blocks_uploaded(const std::string& err) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex("([0-9]+) blocks uploaded"))) return -1;
  return std::stol(m[1]);
}

TEST_CASE("e2e: backup, getfile and restore without a mount, beside a mount of the same user") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed("client");
  Cluster cluster(*bin, "client");
  cluster.start(3);
  std::string config = cluster.new_dir("config");
  std::string data = cluster.new_dir("data");
  PeerMount& m = cluster.mount(1, config, data);
  std::string src = cluster.new_dir("src");
  make_tree(src, seed);
  std::vector<std::string> where{"--data", data, "--config", config};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), where.begin(), where.end());
    return a;
  };

  CliRun first = run_cli(cluster, with({"backup", src}));
  INFO("backup said: " << first.err);
  REQUIRE(first.status == 0);
  CHECK(first.err.find("backed up " + src) != std::string::npos);
  long first_blocks = blocks_uploaded(first.err);
  CHECK(first_blocks > 300);
  // What it wrote is claimed for it (DATA/client's claim book), and it waited for the claims:
  // at least big.bin's 320 distinct chunks. (The upload count is no bound: a block written in
  // two commits, a directory's trie node say, is uploaded twice and claimed once.)
  ClaimRows claims = claim_rows(data + "/client/store");
  CHECK(claims.volumes.size() == 1);
  CHECK(claims.pending == 0);
  CHECK(claims.live.size() >= 320);

  // The mount shows it, as every mount of the user would.
  std::string shown = m.path("backups/" + host_name() + src);
  bool seen = wait_until([&] { return ::access((shown + "/big.bin").c_str(), F_OK) == 0; }, 10s);
  REQUIRE_MESSAGE(seen, m.describe());
  auto diffs = compare_trees(src, shown);
  CHECK_MESSAGE(diffs.empty(),
                diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs.front()));

  // getfile by the original path; restore of the whole tree.
  std::string out = cluster.new_dir("out");
  CliRun got = run_cli(cluster, with({"getfile", src + "/big.bin", out + "/big.bin"}));
  INFO("getfile said: " << got.err);
  REQUIRE(got.status == 0);
  CHECK(read_local(out + "/big.bin") == read_local(src + "/big.bin"));
  CliRun back = run_cli(cluster, with({"restore", src, out + "/restored"}));
  INFO("restore said: " << back.err);
  REQUIRE(back.status == 0);
  diffs = compare_trees(src, out + "/restored");
  CHECK_MESSAGE(diffs.empty(),
                diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs.front()));
  CliRun ls = run_cli(cluster, with({"ls", "/backups/" + host_name() + src}));
  CHECK(ls.status == 0);
  CHECK(ls.out.find("  big.bin\n") != std::string::npos);
  CHECK(ls.out.find("  link -> d1/f2\n") != std::string::npos);
  CliRun fsck = run_cli(cluster, with({"fsck", "/backups"}));
  INFO("fsck said: " << fsck.err);
  CHECK(fsck.status == 0);
  CHECK(fsck.out.empty());
  CHECK(fsck.err.find(": no damage") != std::string::npos);
  CliRun history = run_cli(cluster, with({"fsck", "--versions"}));
  INFO("fsck --versions said: " << history.err);
  CHECK(history.status == 0);
  CHECK(history.err.find("versions (") != std::string::npos);
  CHECK(history.err.find(": no damage") != std::string::npos);
  CliRun snapshots = run_cli(cluster, with({"snapshots"}));
  INFO("snapshots said: " << snapshots.err << snapshots.out);
  CHECK(snapshots.status == 0);
  CHECK(snapshots.out.find("  current\n") != std::string::npos);
  CHECK(snapshots.err.find(" versions kept of ") != std::string::npos);
  // The version before the change below, by the start of its hash ("TIME  HASH  current").
  std::string before_change;
  if (size_t at = snapshots.out.find("  "); at != std::string::npos)
    before_change = snapshots.out.substr(at + 2, 12);
  std::string original_f10 = read_local(src + "/d5/f10");

  // One change: the second run sends that, and not the rest.
  write_local(src + "/d5/f10", "changed");
  CliRun second = run_cli(cluster, with({"backup", src}));
  INFO("second backup said: " << second.err);
  REQUIRE(second.status == 0);
  long second_blocks = blocks_uploaded(second.err);
  MESSAGE("first backup uploaded " << first_blocks << " blocks, the second " << second_blocks);
  CHECK(second_blocks >= 1);
  CHECK(second_blocks < 20);
  CHECK(second.err.find("(300 unchanged)") != std::string::npos);
  CHECK(wait_until([&] { return read_local(shown + "/d5/f10") == "changed"; }, 10s));
  // The version before it still has the file as it was.
  CliRun old_f10 = run_cli(
      cluster, with({"getfile", "--version", before_change, src + "/d5/f10", out + "/f10"}));
  INFO("getfile --version said: " << old_f10.err);
  CHECK(old_f10.status == 0);
  CHECK(read_local(out + "/f10") == original_f10);
  CHECK(old_f10.err.find(" as of ") != std::string::npos);
  CliRun old_dir =
      run_cli(cluster, with({"restore", "--version", before_change, src + "/d5", out + "/d5-old"}));
  CHECK(old_dir.status == 0);
  CHECK(read_local(out + "/d5-old/f10") == original_f10);
  expect_one_line_failure(
      cluster, "getfile of a version that is not there",
      with({bin->cli, "getfile", "--version", "2001-01-01T00-00-00", src + "/d5/f10", out + "/x"}),
      "no version 2001-01-01T00-00-00", 30);

  // Pinned: kept by name, listed with its note, read by name, and in the mount's .snapshots/.
  CliRun pinned = run_cli(cluster, with({"snapshots", "pin", "before-change", "--version",
                                         before_change, "--note", "the original f10"}));
  INFO("pin said: " << pinned.err);
  REQUIRE(pinned.status == 0);
  CliRun listed = run_cli(cluster, with({"snapshots"}));
  INFO("snapshots said: " << listed.out << listed.err);
  CHECK(listed.out.find("before-change  " + before_change + "  pinned ") != std::string::npos);
  CHECK(listed.out.find(": the original f10") != std::string::npos);
  CliRun by_name = run_cli(cluster, with({"getfile", "--version", "before-change", src + "/d5/f10",
                                          out + "/f10-pinned"}));
  CHECK(by_name.status == 0);
  CHECK(read_local(out + "/f10-pinned") == original_f10);
  std::string in_mount =
      m.path(".snapshots/before-change/backups/" + host_name() + src + "/d5/f10");
  CHECK_MESSAGE(wait_until([&] { return read_local(in_mount) == original_f10; }, 20s),
                m.describe());
  expect_one_line_failure(cluster, "a pin of a taken name",
                          with({bin->cli, "snapshots", "pin", "before-change"}), "already", 30);
  expect_one_line_failure(cluster, "a pin named like a time",
                          with({bin->cli, "snapshots", "pin", "2026-01-01T00-00-00"}),
                          "automatic snapshot", 30);
  CliRun unpinned = run_cli(cluster, with({"snapshots", "unpin", "before-change"}));
  CHECK(unpinned.status == 0);
  expect_one_line_failure(cluster, "an unpin of no pin",
                          with({bin->cli, "snapshots", "unpin", "before-change"}),
                          "no snapshot is pinned", 30);

  // Ctrl-C in the middle of a backup of more, then a rerun: the copy is complete.
  for (int i = 0; i < 1500; ++i)
    write_local(src + "/d9/n" + std::to_string(i), std::string(3000 + i, char('a' + i % 26)));
  write_local(src + "/d8/zz-big", std::string(40 << 20, 'z'));
  CliRun stopped = run_cli(cluster, with({"backup", src}), 120s, 150);
  MESSAGE("interrupted backup: exit status " << stopped.status << ": " << stopped.err);
  // Stopped between entries (130), or done before the signal came (0).
  CHECK((stopped.status == 130 || stopped.status == 0));
  if (stopped.status == 130) CHECK(stopped.err.find("run it again") != std::string::npos);
  CliRun rerun = run_cli(cluster, with({"backup", src}));
  INFO("rerun said: " << rerun.err);
  REQUIRE(rerun.status == 0);
  CliRun again = run_cli(cluster, with({"restore", src, out + "/again"}));
  REQUIRE(again.status == 0);
  diffs = compare_trees(src, out + "/again");
  CHECK_MESSAGE(diffs.empty(),
                diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs.front()));

  // Bad input: one line each.
  expect_one_line_failure(cluster, "backup of a missing path",
                          with({bin->cli, "backup", src + "/no-such-dir"}), "no-such-dir", 30);
  expect_one_line_failure(cluster, "getfile of a missing file",
                          with({bin->cli, "getfile", src + "/nothing.txt", out + "/x"}), "no file",
                          30);
  expect_one_line_failure(cluster, "fsck of a missing path",
                          with({bin->cli, "fsck", "/nothing-here"}), "no /nothing-here", 30);
  CHECK(m.unmount() == 0);
}

}  // namespace
}  // namespace peerstore::test
