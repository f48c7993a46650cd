// End-to-end: a node's TCP port survives bad input from a raw socket: random bytes, a frame
// claiming 4 GiB, frames cut short (closed, or held open), a hello followed by garbage, and
// connections that never send. The node drops the bad connections, its memory stays bounded, and
// afterwards it still answers `peerstore status`, keeps its place in the ring and serves a
// mount's reads. Needs FUSE.
#include <doctest/doctest.h>

#include <thread>

#include "e2e/dataset.h"
#include "e2e/e2e_steps.h"
#include "e2e/raw_connection.h"
#include "support/file_digest.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kRssAllowanceKiB = 50 * 1024;
constexpr auto kCloseWait = 5s;       // for connections the node must drop at once
constexpr auto kIdleCloseWait = 10s;  // for ones that only send nothing
constexpr int kEach = 30;             // connections per kind of abuse
// Half frames held open: the node rightly buffers what arrives (~1.1x the bytes sent, measured),
// so this many times 512 KiB is memory the test itself asks for; it leaves room for the rest.
constexpr int kHeld = 20;

// VmRSS of `pid` in KiB, -1 if unreadable.
int64_t rss_kib(pid_t pid) {
  std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stoll(status.substr(at + 6));
}

// The plaintext hello of today's handshake (src/dht/handshake.h), msgpack
// ["peerstore-hello", 1, ""]: gets a connection past the handshake to the message decoder. Once
// the handshake is authenticated this is just one more malformed frame, which is still a fine
// test.
std::string hello_frame() {
  std::string body =
      "\x93\xaf"
      "peerstore-hello"
      "\x01\xa0";
  return length_prefix(static_cast<uint32_t>(body.size())) + body;
}

// Opens `count` connections to `address` and sends each `bytes` (nothing if empty).
std::vector<RawConnection> open_and_send(const std::string& address, const std::string& bytes,
                                         int count = kEach) {
  std::vector<RawConnection> out;
  for (int i = 0; i < count; ++i) {
    RawConnection c(address, 5s);
    REQUIRE_MESSAGE(c.connected(), "cannot connect to the node: " << c.error());
    if (!bytes.empty()) c.send(bytes, 2s);
    out.push_back(std::move(c));
  }
  return out;
}

// How many of `conns` the node has not closed within `wait` (all waited on together).
int still_open(std::vector<RawConnection>& conns, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  int open = 0;
  for (auto& c : conns) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!c.closed_by_peer(std::max(left, std::chrono::milliseconds(1)))) ++open;
  }
  return open;
}

}  // namespace

TEST_CASE("e2e: a node survives garbage on its TCP port and keeps serving") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed("bad input");
  INFO("seed " << seed);
  Cluster cluster(*bin, "bad-input");
  cluster.start(3);
  std::string config = cluster.new_dir("config");
  Dataset data(seed, DatasetShape{.small_files = 40, .big_files = 1, .big_size = 2 << 20});
  write_through_mount(cluster, 0, config, data);

  const std::string target = cluster.address(0);
  const pid_t pid = cluster.process(0).pid();
  int64_t rss_before = rss_kib(pid);
  REQUIRE(rss_before > 0);
  MESSAGE("node 0 (" << target << ", pid " << pid << "): VmRSS " << rss_before << " KiB before");

  uint64_t rng = seed;
  auto random_bytes = [&](size_t n) { return random_content(n, splitmix64(rng)); };
  // Each kind, kEach times (kHeld for held half frames); the ones the node must drop are checked,
  // the rest only survived.
  auto random_stream = open_and_send(target, random_bytes(64 * 1024));
  auto random_frame = open_and_send(target, length_prefix(200) + random_bytes(200));
  auto huge_length = open_and_send(target, length_prefix(0xFFFFFFFF) + random_bytes(1024));
  auto after_hello = open_and_send(target, hello_frame() + length_prefix(64) + random_bytes(64));
  {
    // A frame cut short, then closed by us.
    auto cut = open_and_send(target, length_prefix(1000) + random_bytes(10));
  }
  // Frames cut short and held open: up to a full cap's worth each, the node's buffering at work.
  auto held = open_and_send(target, length_prefix(1 << 20) + random_bytes(512 * 1024), kHeld);
  auto idle = open_and_send(target, "");
  std::this_thread::sleep_for(1s);
  int64_t rss_during = rss_kib(pid);
  MESSAGE("VmRSS with " << held.size() << " half frames and " << idle.size()
                        << " idle connections held: " << rss_during << " KiB");

  CHECK_MESSAGE(still_open(random_stream, kCloseWait) == 0,
                "the node keeps connections that sent random bytes open");
  CHECK_MESSAGE(still_open(random_frame, kCloseWait) == 0,
                "the node keeps connections whose first frame is random bytes open");
  CHECK_MESSAGE(still_open(huge_length, kCloseWait) == 0,
                "the node keeps connections that announced a 4 GiB frame open");
  int idle_open = still_open(idle, kIdleCloseWait);
  // Not required: a node may let a silent peer sit until its idle timeout; worth knowing though.
  if (idle_open > 0)
    MESSAGE("note: " << idle_open << " of " << idle.size() << " connections that never sent "
                     << "anything are still open after " << kIdleCloseWait.count() << " s");
  int hello_open = still_open(after_hello, 1s);
  MESSAGE(hello_open << " of " << after_hello.size()
                     << " connections with garbage after a hello are still open (allowed)");
  for (auto* group : {&random_stream, &random_frame, &huge_length, &after_hello, &held, &idle})
    group->clear();

  REQUIRE_MESSAGE(cluster.running(0), "node 0 died from bad input: " << cluster.node_log(0));
  std::this_thread::sleep_for(1s);
  int64_t rss_after = rss_kib(pid);
  MESSAGE("VmRSS after all were closed: " << rss_after << " KiB");
  CHECK_MESSAGE(rss_during - rss_before < kRssAllowanceKiB,
                "VmRSS grew by " << rss_during - rss_before << " KiB under bad input");
  CHECK_MESSAGE(rss_after - rss_before < kRssAllowanceKiB,
                "VmRSS grew by " << rss_after - rss_before << " KiB after bad input");

  StatusReply st = cluster.status(0);
  CHECK_MESSAGE(st.status.has_value(), "node 0 no longer answers status: " << st.error << "\n"
                                                                           << cluster.node_log(0));
  cluster.wait_for_ring(30s);
  PeerMount& reader = check_through_mount(cluster, 0, config, data);
  CHECK(reader.unmount() == 0);
  CHECK_MESSAGE(cluster.running(0), "node 0 died: " << cluster.node_log(0));
}

}  // namespace peerstore::test
