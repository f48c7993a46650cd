#include "dht/host_port.h"

#include <arpa/inet.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace peerstore {

Result<HostPort> HostPort::parse(std::string_view s) {
  auto bad = [&](const char* why) {
    return fail(Errc::invalid, "address '" + std::string(s) + "': " + why);
  };
  HostPort hp;
  std::string_view port;
  if (s.starts_with('[')) {
    size_t close = s.find(']');
    if (close == std::string_view::npos || s.substr(close + 1, 1) != ":")
      return bad("expected [IPV6]:PORT");
    hp.host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return bad("expected HOST:PORT");
    hp.host = s.substr(0, colon);
    port = s.substr(colon + 1);
    // A bare IPv6 address would be ambiguous: its last group could be the port.
    if (hp.host.find(':') != std::string::npos) return bad("an IPv6 address needs brackets");
  }
  if (hp.host.empty()) return bad("no host");
  bool bracketed = s.starts_with('[');
  unsigned char buf[sizeof(in6_addr)];
  if (bracketed) {
    std::string addr = hp.host.substr(0, hp.host.find('%'));  // without a zone ("%eth0")
    if (inet_pton(AF_INET6, addr.c_str(), buf) != 1) return bad("not an IPv6 address");
  } else if (std::all_of(hp.host.begin(), hp.host.end(),
                         [](unsigned char c) { return std::isdigit(c) || c == '.'; })) {
    // The resolver reads "1.2.3" as 1.2.0.3 and "7" as 0.0.0.7: a number that is not a whole
    // dotted IPv4 address is a typo, never a host name (no top-level domain is all digits).
    if (inet_pton(AF_INET, hp.host.c_str(), buf) != 1)
      return bad("not an IPv4 address (four numbers from 0 to 255, separated by dots)");
  } else if (!std::all_of(hp.host.begin(), hp.host.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '.' || c == '-' || c == '_';
             })) {
    return bad("bad character in host name");
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
    return bad("port must be a number");
  unsigned n = 0;
  std::from_chars(port.data(), port.data() + port.size(), n);
  if (n > 65535) return bad("port must be at most 65535");
  hp.port = uint16_t(n);
  return hp;
}

Result<HostPort> HostPort::from(const sockaddr* sa) {
  char name[INET6_ADDRSTRLEN] = {};
  HostPort hp;
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, name, sizeof name);
    hp.port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, name, sizeof name);
    hp.port = ntohs(in6->sin6_port);
  } else {
    return fail(Errc::invalid, "not an IP socket address");
  }
  hp.host = name;
  return hp;
}

std::string HostPort::str() const {
  std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

}  // namespace peerstore
