// The stop signals (SIGINT, SIGTERM, SIGHUP) of a process that runs a node: a scope that blocks
// them in the calling thread so that the threads it starts meanwhile inherit the mask, and a
// wait for one of them. SignalBlock: create and destroy on one thread; the wait: thread-safe.
#pragma once

namespace peerstore::host {

// Blocks the stop signals in the calling thread while alive, so threads started meanwhile
// inherit the mask and those signals reach the thread that waits for them.
class SignalBlock {
 public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
};

// Waits (blocking those signals first) until SIGINT, SIGTERM or SIGHUP arrives; returns it.
int wait_for_stop_signal();

}  // namespace peerstore::host
