// Tells systemd how a service started as a Type=notify unit is doing (sd_notify): READY once
// the node serves or the mount answers, so `systemctl start` returns only then, and STOPPING
// when it begins to leave. Does nothing when systemd did not start us (no NOTIFY_SOCKET).
// Thread-safe.
#pragma once

#include <string>

namespace peerstore::host {

// READY=1, with `status` as the unit's status line.
void notify_ready(const std::string& status);
// STOPPING=1: the unit is going down (committing, uploading, handing keys over).
void notify_stopping(const std::string& status);

}  // namespace peerstore::host
