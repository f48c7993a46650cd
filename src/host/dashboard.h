// Dashboard: the --http server of peerstorefs and peerstore-node (docs/dashboard.md). GET /
// serves the page (host/dashboard_page.h), GET /api/status the JSON and GET /metrics the
// Prometheus text of a DashboardView that `observe` takes fresh for each request; any other path
// is 404. It listens only on the address it is given; nothing in what it serves is secret.
// Serves on two threads of its own (cpp-httplib's); `observe` runs there and must be
// thread-safe. Start and destroy on one thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "host/dashboard_view.h"

namespace httplib {
class Server;
}

namespace peerstore::host {

class Dashboard {
 public:
  using Observe = std::function<DashboardView()>;
  // Listens on `listen` (HOST:PORT; port 0: any free port). Errc::invalid for an address that is
  // not HOST:PORT, Errc::io when it cannot listen there (taken, or not this computer's).
  static Result<std::unique_ptr<Dashboard>> start(const std::string& listen, Observe observe);
  // Stops listening and waits for the requests in flight.
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // HOST:PORT it listens on, with the port it got for port 0.
  const std::string& address() const { return address_; }

 private:
  Dashboard() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::string address_;
};

}  // namespace peerstore::host
