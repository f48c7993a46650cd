// NotifySocket: what systemd listens on for sd_notify messages, for tests: a datagram socket
// bound to a path; a child started with env() sends its READY=1 / STOPPING=1 lines there.
// Not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace peerstore::test {

class NotifySocket {
 public:
  explicit NotifySocket(std::string path);  // throws std::system_error if it cannot bind
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // "NOTIFY_SOCKET=PATH", for SpawnOptions::env.
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }
  // The next message, or nothing after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // Receives until a message has a line equal to `line` (e.g. "READY=1"); everything received
  // meanwhile goes to *seen. False after `timeout`.
  bool wait_for(const std::string& line, std::chrono::milliseconds timeout,
                std::string* seen = nullptr);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace peerstore::test
