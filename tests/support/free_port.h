// Free TCP ports on 127.0.0.1 for the nodes a test starts. Candidates come from below the
// kernel's ephemeral range (so an outgoing connection cannot take the port between our probe and
// the node's bind), from a starting point derived from the pid (so concurrent test runs rarely
// probe the same ports), and each is probed by binding it. A node can still lose the race to
// another process: callers retry with a new port when says_address_in_use(). Thread-safe.
#pragma once

#include <string_view>

namespace peerstore::test {

// A port nothing on 127.0.0.1 is bound to right now. Throws std::runtime_error if none is.
int free_tcp_port();

// True if a process's output says its listen address was taken.
bool says_address_in_use(std::string_view output);

}  // namespace peerstore::test
