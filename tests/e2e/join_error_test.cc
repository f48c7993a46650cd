// End-to-end: joining an address where nothing listens fails fast and says so: peerstore-node and
// peerstorefs each exit 1 within 10 s with one line on stderr that names the address, and
// peerstorefs leaves no mount (or daemon) behind. They join with a valid invite token (a
// one-node ring's secret) naming the dead address, so what fails is the connection. Needs FUSE
// (for the peerstorefs half).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "e2e/e2e_steps.h"
#include "support/child_process.h"
#include "support/free_port.h"
#include "support/mount_fixture.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {

constexpr double kJoinLimitSeconds = 10;

TEST_CASE("e2e: joining an address where nothing listens fails within 10 s, naming it") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "join-refused");
  cluster.start(1);  // only for a network secret
  // free_tcp_port() just bound and released it, and hands it out to nobody else.
  std::string nowhere = "127.0.0.1:" + std::to_string(free_tcp_port());
  std::string token = cluster.invite_from(cluster.data_dir(0), {"--address", nowhere});

  SUBCASE("peerstore-node") {
    std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
    expect_one_line_failure(
        cluster, "peerstore-node",
        {bin->node, "--listen", listen, "--join", token, "--data", cluster.new_dir("data")},
        nowhere, kJoinLimitSeconds);
  }
  SUBCASE("peerstorefs") {
    std::string mnt = cluster.new_dir("mnt");
    expect_one_line_failure(cluster, "peerstorefs",
                            {bin->peerstorefs, mnt, "--join", token, "--data",
                             cluster.new_dir("data"), "--config", cluster.new_dir("config")},
                            nowhere, kJoinLimitSeconds);
    CHECK_MESSAGE(!fuse_mounted_at(mnt), "a failed peerstorefs left a mount at " << mnt);
    // Without -f a daemon would have detached from us (no PDEATHSIG): end any that did.
    std::vector<pid_t> strays = pids_with_argument(mnt);
    CHECK_MESSAGE(strays.empty(), "a peerstorefs process on " << mnt << " is still running");
    for (pid_t p : strays) kill(p, SIGKILL);
  }
}

namespace {

// Another service on a port: answers every connection with its banner, then holds it open.
class OtherService {
 public:
  explicit OtherService(std::string banner) : banner_(std::move(banner)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OtherService() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) ::close(c);
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      (void)!::send(c, banner_.data(), banner_.size(), MSG_NOSIGNAL);
      clients_.push_back(c);
    }
  }
  std::string banner_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> clients_;
};

}  // namespace

// Another program on the port (here an SSH server's banner): one line that says the peer is no
// PeerStore node, at once. Before, each retry of the join logged a frame-length warning and the
// last line said nobody answered.
TEST_CASE("e2e: joining a port where another service answers fails at once, saying so") {
  auto bin = ClusterBinaries::from_env(/*needs_fuse=*/false);
  if (!bin) return;
  Cluster cluster(*bin, "join-other");
  cluster.start(1);  // only for a network secret
  OtherService ssh("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
  std::string data = cluster.new_dir("data");
  std::string token = cluster.invite_from(cluster.data_dir(0), {"--address", ssh.address()});
  std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
  expect_one_line_failure(cluster, "peerstore-node joining an SSH port",
                          {bin->node, "--listen", listen, "--join", token, "--data", data},
                          "not as a PeerStore node", 3);
  // The same through `peerstore status --node`.
  expect_one_line_failure(cluster, "peerstore status of an SSH port",
                          {bin->cli, "status", "--node", ssh.address(), "--data", data},
                          "not as a PeerStore node", 3);
}

}  // namespace peerstore::test
