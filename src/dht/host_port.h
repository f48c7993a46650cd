// HostPort: a "HOST:PORT" address as users and peers write it: an IPv4 address or a host name
// before the colon, or an IPv6 address in brackets ("[::1]:3000"). Value type; not synchronized.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace peerstore {

struct HostPort {
  std::string host;  // without the brackets of an IPv6 address
  uint16_t port = 0;

  // Errc::invalid unless `s` is HOST:PORT with a port in 0..65535.
  static Result<HostPort> parse(std::string_view s);
  // The numeric address of an AF_INET or AF_INET6 socket address.
  static Result<HostPort> from(const sockaddr* sa);
  std::string str() const;
};

}  // namespace peerstore
