// Process-wide signal dispositions every PeerStore process needs. SIGPIPE: libuv writes to
// sockets with write()/writev() (no MSG_NOSIGNAL), and logs go to stderr, which may be a pipe
// whose reader is gone; either raises SIGPIPE, whose default action kills the process, so one
// peer closing a connection at the wrong moment could stop a node. With SIGPIPE ignored those
// writes fail with EPIPE, which the callers already handle as a closed connection.
// Thread-safe; idempotent.
#pragma once

namespace peerstore {

// Sets SIGPIPE to SIG_IGN for the whole process (a disposition, so it covers every thread).
void ignore_sigpipe();

}  // namespace peerstore
