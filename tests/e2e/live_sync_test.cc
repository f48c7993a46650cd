// End-to-end: computers of one user (one --config, their own --data) mounted at the same time
// on a 5-node ring see each other's changes without remounting: a directory, a written file, a
// rename and a delete, 100 + 100 files created at once in one directory (all 200 on both
// sides), one file overwritten on both (both versions kept, one as a conflict copy); with three
// computers, a text file edited in two places at once (merged), and a computer killed with -9
// while the others change the tree (it comes back and converges). Needs FUSE.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <set>
#include <thread>

#include "e2e/e2e_steps.h"
#include "support/child_process.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kSeen = 20s;  // far above the target (about 1 s): a loaded machine is slow

void put(const std::string& path, const std::string& text) {
  REQUIRE_MESSAGE(write_text(path, text), "cannot write " << path);
}

std::string get(const std::string& path) {
  return slurp(path);
}

TEST_CASE("e2e: two mounted computers of one user see each other's changes live") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "live-sync");
  cluster.start(5);
  std::string config = cluster.new_dir("config");
  PeerMount& a = cluster.mount(0, config, cluster.new_dir("data"));
  PeerMount& b = cluster.mount(3, config, cluster.new_dir("data"));

  // A directory and a file made on one appear on the other.
  REQUIRE(::mkdir(a.path("docs").c_str(), 0755) == 0);
  put(a.path("docs/note.txt"), "hello from a");
  auto start = std::chrono::steady_clock::now();
  bool seen = wait_until([&] { return get(b.path("docs/note.txt")) == "hello from a"; }, kSeen);
  CHECK_MESSAGE(seen, "b never saw a's file\n" << b.describe());
  MESSAGE("a's new file read on b after " << seconds_since(start) << " s");

  // An overwrite, a rename and a delete from the other side, with the kernel's cache warm.
  // Longer than before: the kernel's cached size of the file must not cut it short.
  put(b.path("docs/note.txt"), "changed by b, and longer");
  CHECK(wait_until([&] { return get(a.path("docs/note.txt")) == "changed by b, and longer"; },
                   kSeen));
  // A reader that keeps the file open reads what the other computer appended.
  {
    int fd = ::open(a.path("docs/note.txt").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    std::string before = "changed by b, and longer";
    std::string after = before + ", and appended to";
    put(b.path("docs/note.txt"), after);
    auto read_open = [&] {
      char buf[256];
      ssize_t n = ::pread(fd, buf, sizeof buf, 0);
      return n < 0 ? std::string() : std::string(buf, size_t(n));
    };
    CHECK_MESSAGE(wait_until([&] { return read_open() == after; }, kSeen),
                  "the open file reads \"" << read_open() << "\"");
    ::close(fd);
  }
  REQUIRE(::rename(b.path("docs/note.txt").c_str(), b.path("note-moved.txt").c_str()) == 0);
  CHECK(wait_until(
      [&] { return exists(a.path("note-moved.txt")) && !exists(a.path("docs/note.txt")); }, kSeen));
  REQUIRE(::unlink(a.path("note-moved.txt").c_str()) == 0);
  CHECK(wait_until([&] { return !exists(b.path("note-moved.txt")); }, kSeen));

  // 100 + 100 files created at once in one directory: all 200 on both sides.
  REQUIRE(::mkdir(a.path("many").c_str(), 0755) == 0);
  REQUIRE(wait_until([&] { return exists(b.path("many")); }, kSeen));
  std::thread ta([&] {
    for (int i = 0; i < 100; ++i)
      put(a.path("many/a-" + std::to_string(i)), "a" + std::to_string(i));
  });
  std::thread tb([&] {
    for (int i = 0; i < 100; ++i)
      put(b.path("many/b-" + std::to_string(i)), "b" + std::to_string(i));
  });
  ta.join();
  tb.join();
  bool all = wait_until(
      [&] { return names(a.path("many")).size() == 200 && names(b.path("many")).size() == 200; },
      2 * kSeen);
  // Seen once in 35 loaded runs (flake loop of 2026-12-06, run 15): b saw 199, and then never
  // a's next file either. What each side lacks and what both mounts logged tell why.
  auto lacking = [&](PeerMount& m) {
    auto have = names(m.path("many"));
    std::string out;
    for (const char* side : {"a-", "b-"})
      for (int i = 0; i < 100; ++i)
        if (!have.count(side + std::to_string(i))) out += " " + (side + std::to_string(i));
    return out;
  };
  CHECK_MESSAGE(all, "a sees " << names(a.path("many")).size() << ", b sees "
                               << names(b.path("many")).size() << "; a lacks" << lacking(a)
                               << "; b lacks" << lacking(b) << "\n"
                               << a.describe(40) << "\n"
                               << b.describe(40));
  CHECK(get(a.path("many/b-42")) == "b42");
  CHECK(get(b.path("many/a-17")) == "a17");

  // One file overwritten on both sides at once: both versions stay, on both sides.
  put(a.path("shared.txt"), "base");
  REQUIRE_MESSAGE(wait_until([&] { return get(b.path("shared.txt")) == "base"; }, kSeen),
                  "b reads \"" << get(b.path("shared.txt")) << "\"\n"
                               << a.describe(40) << "\n"
                               << b.describe(40));
  std::thread wa([&] { put(a.path("shared.txt"), "version a"); });
  std::thread wb([&] { put(b.path("shared.txt"), "version b"); });
  wa.join();
  wb.join();
  auto versions = [&](PeerMount& m) {
    std::set<std::string> v;
    for (auto& n : names(m.mountpoint()))
      if (n == "shared.txt" || n.rfind("shared.conflict-", 0) == 0) v.insert(get(m.path(n)));
    return v;
  };
  std::set<std::string> both{"version a", "version b"};
  // Written within one commit window the two may also have been ordered (one saw the
  // other's first): then the later one alone is right.
  bool settled = wait_until(
      [&] {
        return versions(a) == versions(b) && (versions(a) == both || versions(a).size() == 1);
      },
      kSeen);
  CHECK_MESSAGE(settled, "a has " << versions(a).size() << " versions, b " << versions(b).size());
  CHECK(versions(a).count("version a") + versions(a).count("version b") >= 1);

  CHECK(a.unmount() == 0);
  CHECK(b.unmount() == 0);
}

// fsync of the mount's root: a commit of everything (syncfs never reaches a FUSE file system
// through libfuse 3.14, which has no syncfs operation).
void commit_all(PeerMount& m) {
  int fd = ::open(m.mountpoint().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(::fsync(fd) == 0);
  ::close(fd);
}

std::string numbered_lines(int n, int edited, const std::string& edit) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i == edited ? edit : "line " + std::to_string(i)) + "\n";
  return s;
}

TEST_CASE(
    "e2e: three computers: a text file edited in two places merges; a computer killed "
    "with -9 while others change the tree comes back and converges") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "live-sync-three");
  cluster.start(5);
  std::string config = cluster.new_dir("config");
  std::string a_data = cluster.new_dir("data");
  PeerMount* a = &cluster.mount(0, config, a_data);
  PeerMount& b = cluster.mount(2, config, cluster.new_dir("data"));
  PeerMount& c = cluster.mount(4, config, cluster.new_dir("data"));

  // A text file edited at both ends at once: both edits, no conflict copy, on all three.
  put(a->path("doc.txt"), numbered_lines(60, -1, ""));
  REQUIRE(
      wait_until([&] { return exists(b.path("doc.txt")) && exists(c.path("doc.txt")); }, kSeen));
  std::string from_a = numbered_lines(60, 3, "line 3 edited on a");
  std::string from_b = numbered_lines(60, 55, "line 55 edited on b");
  std::thread ea([&] { put(a->path("doc.txt"), from_a); });
  std::thread eb([&] { put(b.path("doc.txt"), from_b); });
  ea.join();
  eb.join();
  std::string both = numbered_lines(60, 3, "line 3 edited on a");
  both.replace(both.find("line 55\n"), 8, "line 55 edited on b\n");
  bool merged = wait_until(
      [&] {
        return get(a->path("doc.txt")) == both && get(b.path("doc.txt")) == both &&
               get(c.path("doc.txt")) == both;
      },
      kSeen);
  CHECK_MESSAGE(merged, "a has:\n"
                            << get(a->path("doc.txt")) << "c has:\n"
                            << get(c.path("doc.txt")));
  for (auto& n : names(c.mountpoint())) CHECK(n.find("doc.conflict-") == std::string::npos);

  // c and a write at once; a is killed with -9 right after its writes are durable, while it
  // may be merging c's; restarted on its data directory, it converges with the others.
  REQUIRE(::mkdir(c.path("dir").c_str(), 0755) == 0);
  REQUIRE(wait_until([&] { return exists(a->path("dir")); }, kSeen));
  std::thread tc([&] {
    for (int i = 0; i < 50; ++i) put(c.path("dir/c-" + std::to_string(i)), "c");
  });
  for (int i = 0; i < 50; ++i) put(a->path("dir/a-" + std::to_string(i)), "a");
  commit_all(*a);
  std::string a_address = slurp(a_data + "/node.addr");
  while (!a_address.empty() && std::isspace(uint8_t(a_address.back()))) a_address.pop_back();
  a->crash();
  tc.join();
  // Back at its address, as a computer that restarts does. (At a new port, the ring's entries
  // for its id at the old address make other nodes' leaves fail for a while: a lead for the
  // DHT, not for sync.)
  a = &cluster.mount(0, config, a_data, {"--listen", a_address});
  auto count = [&](PeerMount& m) { return names(m.path("dir")).size(); };
  // a's commits that were not uploaded before the kill reach the ring through its node's handoff
  // and repair (every 20 s), not its upload queue, which a restart does not bring back.
  bool all = wait_until([&] { return count(*a) == 100 && count(b) == 100 && count(c) == 100; },
                        std::chrono::seconds(90));
  CHECK_MESSAGE(all, "a sees " << count(*a) << ", b " << count(b) << ", c " << count(c) << "\n"
                               << a->describe() << "\n"
                               << c.describe());
  CHECK(get(b.path("dir/a-49")) == "a");
  CHECK(get(a->path("dir/c-49")) == "c");

  CHECK(a->unmount() == 0);
  CHECK(b.unmount() == 0);
  CHECK(c.unmount() == 0);
}

TEST_CASE(
    "e2e: a computer cut off from the ring keeps writing, and both sides merge when it is "
    "back") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "live-sync-offline");
  cluster.start(3);
  std::string config = cluster.new_dir("config");
  PeerMount& a = cluster.mount(0, config, cluster.new_dir("data"));
  PeerMount& b = cluster.mount(1, config, cluster.new_dir("data"));
  put(a.path("shared.txt"), numbered_lines(30, -1, ""));
  REQUIRE(
      wait_until([&] { return get(b.path("shared.txt")) == numbered_lines(30, -1, ""); }, kSeen));

  // Everyone else stops answering: a is alone and keeps working from its local store.
  std::vector<pid_t> others{b.process()->pid()};
  for (int i = 0; i < cluster.size(); ++i) others.push_back(cluster.process(i).pid());
  for (pid_t p : others) ::kill(p, SIGSTOP);
  put(a.path("written-offline.txt"), "a was offline");
  put(a.path("shared.txt"), numbered_lines(30, 2, "line 2 edited on a, offline"));
  commit_all(a);
  // Then a stops and the others go on without it: b writes too.
  ::kill(a.process()->pid(), SIGSTOP);
  for (pid_t p : others) ::kill(p, SIGCONT);
  put(b.path("written-meanwhile.txt"), "b went on");
  put(b.path("shared.txt"), numbered_lines(30, 27, "line 27 edited on b"));
  commit_all(b);
  // a is back.
  ::kill(a.process()->pid(), SIGCONT);
  std::string both = numbered_lines(30, 2, "line 2 edited on a, offline");
  both.replace(both.find("line 27\n"), 8, "line 27 edited on b\n");
  auto converged = [&](PeerMount& m) {
    return get(m.path("written-offline.txt")) == "a was offline" &&
           get(m.path("written-meanwhile.txt")) == "b went on" && get(m.path("shared.txt")) == both;
  };
  bool ok = wait_until([&] { return converged(a) && converged(b); }, 6 * kSeen);
  CHECK_MESSAGE(ok, "a has shared.txt:\n"
                        << get(a.path("shared.txt")) << "b has:\n"
                        << get(b.path("shared.txt")) << a.describe() << b.describe());
  CHECK(a.unmount() == 0);
  CHECK(b.unmount() == 0);
}

}  // namespace
}  // namespace peerstore::test
