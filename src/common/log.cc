#include "common/log.h"

#include <syslog.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace peerstore::log {
namespace {

struct Sink {
  std::atomic<int> level{int(Level::info)};
  std::atomic<bool> syslog{false};
  std::mutex mu;
};

Sink& sink() {
  static Sink s;  // function-local: constructed on first use, no init-order issues
  return s;
}

const char* tag(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
  }
  return "";
}

}  // namespace

void set_level(Level level) { sink().level = int(level); }

void use_syslog(const char* ident) {
  openlog(ident, LOG_PID, LOG_DAEMON);
  sink().syslog = true;
}

bool enabled(Level level) { return int(level) >= sink().level.load(std::memory_order_relaxed); }

void write(Level level, const std::string& line) {
  if (!enabled(level)) return;
  if (sink().syslog) {
    static constexpr int kPrio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
    syslog(kPrio[int(level)], "%s", line.c_str());
    return;
  }
  std::lock_guard lock(sink().mu);
  std::fprintf(stderr, "peerstore %s: %s\n", tag(level), line.c_str());
}

}  // namespace peerstore::log
