// Free ports: see free_port.h.
#include "support/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string>

namespace peerstore::test {
namespace {

constexpr int kLowest = 10000;  // well above the well-known and usual service ports

// [first, last] of the ports we hand out: below the ephemeral range if there is room, else above.
std::pair<int, int> candidate_range() {
  int eph_low = 32768, eph_high = 60999;
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  in >> eph_low >> eph_high;
  if (eph_low - kLowest >= 2000) return {kLowest, eph_low - 1};
  return {std::min(eph_high + 1, 65000), 65535};
}

// Binding without SO_REUSEADDR fails for a port that is bound, listening or in TIME_WAIT, which
// is stricter than the node's own bind needs: a port that passes is safe to give out.
bool bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

int free_tcp_port() {
  static const auto range = candidate_range();
  static const int span = range.second - range.first + 1;
  // Every call moves on, so ports given out earlier (whose node may not have bound yet) are not
  // handed out again within a run.
  static std::atomic<int> next{static_cast<int>((static_cast<long>(getpid()) * 7919) % span)};
  for (int tries = 0; tries < span; ++tries) {
    int port = range.first + next.fetch_add(1) % span;
    if (bindable(port)) return port;
  }
  throw std::runtime_error("no free TCP port on 127.0.0.1");
}

bool says_address_in_use(std::string_view output) {
  std::string lower(output);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("address already in use") != std::string::npos ||
         lower.find("eaddrinuse") != std::string::npos;
}

}  // namespace peerstore::test
