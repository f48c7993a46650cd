// End-to-end: nothing readable crosses the wire. tcpdump records the loopback traffic of a
// 3-node ring while a mount writes files and a second mount (another computer of the same
// user) reads them back; the capture must hold the traffic (more bytes than the files), and
// none of: the file names, their content, the network secret, any device's public key (sealed
// in the handshake), or the nodes' listen addresses (which every plaintext message carries in
// its sender field). Needs FUSE and tcpdump (scripts/install-deps.sh installs it); run as root.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <random>
#include <thread>

#include "e2e/e2e_steps.h"
#include "support/child_process.h"
#include "support/fuse_check.h"
#include "support/node_cluster.h"
#include "support/secret_scan.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE_MESSAGE(fd >= 0, "create " << path);
  REQUIRE(::write(fd, content.data(), content.size()) == ssize_t(content.size()));
  REQUIRE(::fsync(fd) == 0);
  ::close(fd);
}

std::string key_seed(const std::string& path) {
  auto k = read_plain_key(path);
  REQUIRE_MESSAGE(k.has_value(), "no plain key in " << path);
  return k->seed;
}

std::string public_key_of(const std::string& seed) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
  sodium_memzero(sk, sizeof sk);
  return std::string(reinterpret_cast<char*>(pk), sizeof pk);
}

std::string tcpdump_unusable_reason() {
  for (const char* p : {"/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/sbin/tcpdump"})
    if (::access(p, X_OK) == 0) return "";
  return "tcpdump is not installed (scripts/install-deps.sh installs it)";
}

TEST_CASE("e2e: a capture of a ring's traffic holds no names, content, keys or fields") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  if (!usable_or_report(tcpdump_unusable_reason())) return;
  uint64_t seed = test_seed("wire capture");
  std::mt19937_64 rng(seed);
  auto token = [&] {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return std::string(buf);
  };

  Cluster cluster(*bin, "wire");
  cluster.start(3);
  std::string pcap = cluster.base_dir() + "/capture.pcap";
  ChildProcess dump({"tcpdump", "-i", "lo", "-n", "-U", "-s", "0", "-w", pcap, "tcp"},
                    {.stderr_path = cluster.base_dir() + "/tcpdump.log"});
  REQUIRE_MESSAGE(
      wait_until([&] { return dump.output().find("listening on") != std::string::npos; }, 10s),
      dump.describe());

  // Names and content no one could guess, several blocks long, some files small.
  std::vector<std::pair<std::string, std::string>> files;
  size_t total = 0;
  for (int i = 0; i < 6; ++i) {
    std::string name = "wire-canary-" + token() + ".txt";
    std::string line = "PeerStore wire canary " + token() + "\n";
    std::string content;
    size_t want = i < 3 ? 300 : size_t(600) << 10;
    while (content.size() < want) content += line;
    total += content.size();
    files.emplace_back(name, content);
  }
  std::string config = cluster.new_dir("config");
  {
    PeerMount& writer = cluster.mount(0, config, cluster.new_dir("data"));
    for (auto& [name, content] : files) write_file(writer.path(name), content);
    REQUIRE(writer.unmount() == 0);
  }
  PeerMount& reader = cluster.mount(2, config, cluster.new_dir("data"));
  for (auto& [name, content] : files) {
    INFO(name);
    CHECK(read_all(reader.path(name)) == content);
  }
  std::this_thread::sleep_for(1s);  // tcpdump -U writes each packet as it goes
  dump.signal(SIGINT);
  REQUIRE(dump.wait_exit(10s).has_value());

  std::string wire = read_all(pcap);
  MESSAGE("captured " << wire.size() << " bytes while " << total << " were written and read");
  CHECK(wire.size() > 2 * total);
  std::vector<std::pair<std::string, std::string>> needles;
  for (auto& [name, content] : files) {
    needles.push_back({"file name " + name, name});
    needles.push_back({"content of " + name, content.substr(0, content.find('\n'))});
  }
  for (auto& [form, text] : secret_forms(key_seed(cluster.data_dir(0) + "/network.key")))
    needles.push_back({"the network secret as " + form, text});
  for (int i = 0; i < cluster.size(); ++i) {
    needles.push_back({"node " + std::to_string(i) + "'s device public key",
                       public_key_of(key_seed(cluster.data_dir(i) + "/device.key"))});
    needles.push_back({"node " + std::to_string(i) + "'s address field", cluster.address(i)});
  }
  for (auto& [what, text] : needles) {
    INFO(what);
    CHECK(wire.find(text) == std::string::npos);
  }
}

}  // namespace
}  // namespace peerstore::test
