#include "host/dashboard.h"

#include <httplib.h>

#include <chrono>

#include "common/log.h"
#include "dht/host_port.h"
#include "host/dashboard_page.h"
#include "host/prometheus_text.h"

namespace peerstore::host {
namespace {

// The page runs its own inline script and style and talks to this server only.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

void common_headers(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
}

}  // namespace

Result<std::unique_ptr<Dashboard>> Dashboard::start(const std::string& listen, Observe observe) {
  auto where = HostPort::parse(listen);
  if (!where)
    return fail(Errc::invalid, "--http takes ADDR:PORT, e.g. 127.0.0.1:8080, not '" + listen + "'");
  std::unique_ptr<Dashboard> d(new Dashboard());
  d->server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *d->server_;
  // Two threads: a scrape and a page refresh at a time is all a dashboard sees.
  s.new_task_queue = [] { return new httplib::ThreadPool(2); };
  s.set_keep_alive_max_count(100);
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server (another mount's
  // dashboard, or anyone's program) bind the same port and take half the requests.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_read_timeout(std::chrono::seconds(5));
  s.set_write_timeout(std::chrono::seconds(5));
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    common_headers(res);
    res.set_header("Content-Security-Policy", kPagePolicy);
    res.set_content(std::string(dashboard_page()), "text/html; charset=utf-8");
  });
  s.Get("/api/status", [observe](const httplib::Request&, httplib::Response& res) {
    common_headers(res);
    res.set_content(dashboard_json(observe()), "application/json");
  });
  s.Get("/metrics", [observe](const httplib::Request&, httplib::Response& res) {
    common_headers(res);
    res.set_content(dashboard_metrics(observe()), std::string(PrometheusText::kContentType));
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    common_headers(res);
    if (res.body.empty()) res.set_content(std::to_string(res.status) + "\n", "text/plain");
  });

  int port = where->port;
  if (port == 0) {
    port = s.bind_to_any_port(where->host);
    if (port <= 0) port = -1;
  } else if (!s.bind_to_port(where->host, port)) {
    port = -1;
  }
  if (port < 0)
    return fail(Errc::io, "cannot listen on " + listen +
                              " for --http: the port is taken or the address is not this "
                              "computer's; give another ADDR:PORT");
  HostPort bound{where->host, uint16_t(port)};
  d->address_ = bound.str();
  Dashboard* self = d.get();
  d->thread_ = std::thread([self] {
    if (!self->server_->listen_after_bind())
      log::warn("dashboard: http://" + self->address_ + "/ stopped serving");
    self->finished_ = true;
  });
  log::info("dashboard on http://" + d->address_ + "/");
  return d;
}

Dashboard::~Dashboard() {
  if (!thread_.joinable()) return;
  // stop() does nothing until the server runs: wait for it to (or for it to give up).
  while (!server_->is_running() && !finished_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->stop();
  thread_.join();
}

}  // namespace peerstore::host
