#include "host/service_notify.h"

#include <systemd/sd-daemon.h>

namespace peerstore::host {
namespace {

void notify(const std::string& state, const std::string& status) {
  // A status line is one line: newlines would start new assignments.
  std::string line = status;
  for (char& c : line)
    if (c == '\n') c = ' ';
  // unset_environment = 0: a child (a forked daemon) may need to notify as well.
  sd_notify(0, (state + "\nSTATUS=" + line).c_str());
}

}  // namespace

void notify_ready(const std::string& status) {
  notify("READY=1", status);
}

void notify_stopping(const std::string& status) {
  notify("STOPPING=1", status);
}

}  // namespace peerstore::host
