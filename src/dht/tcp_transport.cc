#include "dht/tcp_transport.h"

#include <cstring>

#include "common/log.h"
#include "dht/host_port.h"
#include "dht/message.h"

namespace peerstore {
namespace {

Errc errc_of(int uv_error) {
  switch (uv_error) {
    case UV_EADDRINUSE:
      return Errc::busy;
    case UV_EACCES:
    case UV_EPERM:
      return Errc::permission;
    case UV_EADDRNOTAVAIL:
    case UV_EINVAL:
    case UV_EAI_NONAME:
      return Errc::invalid;
    default:
      return Errc::io;
  }
}

void free_tcp(uv_handle_t* h) {
  delete reinterpret_cast<uv_tcp_t*>(h);
}

// Frees a getaddrinfo result.
struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() { uv_freeaddrinfo(list); }
};

}  // namespace

// A host name being resolved for a dial. Outlives the transport if need be: uv_getaddrinfo
// cannot be cancelled once the thread pool has it.
struct TcpTransport::Resolve {
  uv_getaddrinfo_t req;
  TcpTransport* owner;  // null once the transport closed
  std::string to;
};

TcpTransport::TcpTransport(uv_loop_t* loop, TcpTransportOptions options)
    : loop_(loop), opt_(std::move(options)) {}

Result<std::unique_ptr<TcpTransport>> TcpTransport::start(uv_loop_t* loop,
                                                          TcpTransportOptions options) {
  if (!options.credentials ||
      options.credentials->network_secret.size() != PeerCredentials::kNetworkSecretSize)
    return fail(Errc::invalid, "a transport needs a device key and a network secret");
  std::unique_ptr<TcpTransport> t(new TcpTransport(loop, std::move(options)));
  if (!t->opt_.listen.empty()) PS_TRY(t->listen());
  return t;
}

Status TcpTransport::listen() {
  auto cannot = [&](Errc code, const std::string& why) {
    return fail(code, "cannot listen on " + opt_.listen + ": " + why);
  };
  auto hp = HostPort::parse(opt_.listen);
  if (!hp) return cannot(Errc::invalid, "expected ADDR:PORT, like 127.0.0.1:3000 or [::1]:3000");

  // Synchronous: this runs once, at start-up, usually on a numeric address.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  uv_getaddrinfo_t req;
  std::string port = std::to_string(hp->port);
  if (int rc = uv_getaddrinfo(loop_, &req, nullptr, hp->host.c_str(), port.c_str(), &hints))
    return cannot(Errc::invalid, uv_strerror(rc));
  AddrInfo ai{req.addrinfo};

  listener_ = new uv_tcp_t;
  uv_tcp_init(loop_, listener_);
  listener_->data = this;
  int rc = uv_tcp_bind(listener_, ai.list->ai_addr, 0);
  // libuv may report a bind error only when listening.
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), SOMAXCONN,
                   [](uv_stream_t* s, int status) {
                     auto* t = static_cast<TcpTransport*>(s->data);
                     if (status < 0)
                       return log::warn(std::string("tcp: accept failed: ") + uv_strerror(status));
                     t->accept();
                   });
  if (rc != 0) return cannot(errc_of(rc), uv_strerror(rc));

  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  PS_ASSIGN(auto real, HostPort::from(reinterpret_cast<sockaddr*>(&bound)));
  address_ = real.str();
  log::debug("tcp: listening on " + address_);
  return {};
}

TcpTransport::~TcpTransport() {
  for (auto* r : resolving_) r->owner = nullptr;
  if (listener_) {
    listener_->data = nullptr;
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(listener_)))
      uv_close(reinterpret_cast<uv_handle_t*>(listener_), free_tcp);
  }
  for (auto* c : conns_) {
    c->detach();
    c->close(TcpConnection::Why::normal, "transport destroyed");
  }
}

TcpConnection::Limits TcpTransport::limits() const {
  return {opt_.hello_timeout_ms, opt_.frame_timeout_ms, opt_.idle_timeout_ms};
}

size_t TcpTransport::connection_count() const {
  size_t n = 0;
  for (auto* c : conns_) n += !c->closing();
  return n;
}

void TcpTransport::send(const std::string& to, Bytes message) {
  if (closing_) return drop(to, "the transport is closed");
  if (message.empty() || message.size() > kMaxMessageSize)
    return drop(to, "empty or oversized (" + std::to_string(message.size()) + " bytes)");
  if (auto it = open_.find(to); it != open_.end()) return send_on(*it->second, std::move(message));
  if (to.starts_with(kClientAddressPrefix)) return drop(to, "that client is gone");

  auto [it, first] = dialing_.try_emplace(to);
  Queue& q = it->second;
  size_t size = FrameCodec::kPrefix + message.size();
  if (q.bytes + size > opt_.max_queued_bytes)
    return drop(to, std::to_string(q.bytes) + " bytes already queued");
  q.bytes += size;
  q.messages.push_back(std::move(message));
  if (first) dial(to);
}

void TcpTransport::send_on(TcpConnection& c, Bytes message) {
  size_t size = FrameCodec::kPrefix + message.size();
  if (c.queued_bytes() + size > opt_.max_queued_bytes)
    return drop(c.peer(), std::to_string(c.queued_bytes()) + " bytes already queued");
  ++stats_.frames_out;
  c.send(std::move(message));
}

void TcpTransport::drop(const std::string& to, const std::string& why) {
  ++stats_.dropped_sends;
  // At most one line a second: a peer that stopped reading would otherwise flood the log.
  int64_t now = int64_t(uv_now(loop_));
  if (last_drop_log_ms_ >= 0 && now - last_drop_log_ms_ < 1000) return;
  last_drop_log_ms_ = now;
  log::warn("tcp: dropped a message to " + to + ": " + why + " (" +
            std::to_string(stats_.dropped_sends) + " dropped so far)");
}

void TcpTransport::dial(const std::string& to) {
  ++stats_.dialed;
  auto hp = HostPort::parse(to);
  if (!hp || hp->port == 0)
    return unreachable(to, fail(Errc::unavailable, to + " is not a HOST:PORT address"));
  sockaddr_storage sa{};
  if (uv_ip4_addr(hp->host.c_str(), hp->port, reinterpret_cast<sockaddr_in*>(&sa)) == 0 ||
      uv_ip6_addr(hp->host.c_str(), hp->port, reinterpret_cast<sockaddr_in6*>(&sa)) == 0)
    return connect(to, reinterpret_cast<sockaddr*>(&sa));

  // A host name: resolved on libuv's thread pool, since DNS may take seconds.
  auto* r = new Resolve{{}, this, to};
  r->req.data = r;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(hp->port);
  if (int rc = uv_getaddrinfo(loop_, &r->req, on_resolved, hp->host.c_str(), port.c_str(), &hints);
      rc != 0) {
    delete r;
    return unreachable(
        to, fail(Errc::unavailable, "cannot resolve " + to + ": " + std::string(uv_strerror(rc))));
  }
  resolving_.insert(r);
}

void TcpTransport::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  std::unique_ptr<Resolve> r(static_cast<Resolve*>(req->data));
  AddrInfo ai{res};
  TcpTransport* t = r->owner;
  if (!t) return;
  t->resolving_.erase(r.get());
  if (status != 0)
    return t->unreachable(r->to, fail(Errc::unavailable, "cannot resolve " + r->to + ": " +
                                                             std::string(uv_strerror(status))));
  auto it = t->dialing_.find(r->to);
  if (it == t->dialing_.end()) return;  // another connection with the peer took the queue
  // "localhost" is often ::1 first while the peer listens on 127.0.0.1 only: the others are
  // tried in turn if this one fails.
  for (addrinfo* a = res->ai_next; a; a = a->ai_next) {
    sockaddr_storage sa{};
    std::memcpy(&sa, a->ai_addr, std::min<size_t>(a->ai_addrlen, sizeof sa));
    it->second.untried.push_back(sa);
  }
  t->connect(r->to, res->ai_addr);
}

void TcpTransport::connect(const std::string& to, const sockaddr* addr) {
  auto c = TcpConnection::dial(loop_, addr, to, *this, Handshake(opt_.credentials, address_, true),
                               limits());
  if (!c) return try_next(to, c.error().context);
  conns_.insert(*c);
}

void TcpTransport::try_next(const std::string& to, const std::string& why) {
  auto it = dialing_.find(to);
  if (it == dialing_.end() || it->second.untried.empty())
    return unreachable(to, fail(Errc::unavailable, "cannot reach " + to + ": " + why));
  auto& untried = it->second.untried;
  sockaddr_storage next = untried.front();
  untried.erase(untried.begin());
  connect(to, reinterpret_cast<sockaddr*>(&next));
}

void TcpTransport::unreachable(const std::string& to, const Error& why) {
  ++stats_.dial_failures;
  size_t lost = 0;
  if (auto it = dialing_.find(to); it != dialing_.end()) {
    lost = it->second.messages.size();
    dialing_.erase(it);
  }
  stats_.dropped_sends += lost;
  log::debug("tcp: " + why.context + " (" + std::to_string(lost) + " messages dropped)");
  if (lost && unreachable_handler_) unreachable_handler_(to, why);
}

void TcpTransport::accept() {
  auto* server = reinterpret_cast<uv_stream_t*>(listener_);
  if (conns_.size() >= opt_.max_connections) {
    ++stats_.refused;
    auto* h = new uv_tcp_t;
    uv_tcp_init(loop_, h);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(h)) == 0) {
      sockaddr_storage sa{};
      int len = sizeof sa;
      uv_tcp_getpeername(h, reinterpret_cast<sockaddr*>(&sa), &len);
      auto hp = HostPort::from(reinterpret_cast<sockaddr*>(&sa));
      log::warn("tcp: refused a connection from " + (hp ? hp->str() : std::string("?")) + ": " +
                std::to_string(conns_.size()) + " connections open (max_connections)");
    }
    uv_close(reinterpret_cast<uv_handle_t*>(h), free_tcp);
    return;
  }
  auto c =
      TcpConnection::accept(server, *this, Handshake(opt_.credentials, address_, false), limits());
  if (!c) return log::warn("tcp: " + c.error().context);
  ++stats_.accepted;
  conns_.insert(*c);
}

void TcpTransport::on_open(TcpConnection& c) {
  if (c.peer().empty())
    c.set_peer(std::string(kClientAddressPrefix) + std::to_string(next_client_++));
  // The first connection to open with a peer keeps carrying what we send it, so messages in one
  // direction stay in order even when both sides dialed at once.
  open_.try_emplace(c.peer(), &c);
  // Whichever connection opens first with a peer we are dialing takes what is queued for it.
  if (auto it = dialing_.find(c.peer()); it != dialing_.end()) {
    Queue q = std::move(it->second);
    dialing_.erase(it);
    for (auto& m : q.messages) {
      if (c.closing()) {
        ++stats_.dropped_sends;
        continue;
      }
      send_on(c, std::move(m));
    }
  }
}

void TcpTransport::on_message(TcpConnection& c, ByteView message) {
  ++stats_.frames_in;
  if (receiver_) receiver_(c.peer(), c.peer_id(), message);
}

void TcpTransport::on_closing(TcpConnection& c, TcpConnection::Why why) {
  using Why = TcpConnection::Why;
  switch (why) {
    case Why::normal:
      break;
    case Why::bad_input:
      ++stats_.closed_bad_input;
      break;
    case Why::refused:
      ++stats_.closed_refused;
      break;
    case Why::timeout:
      ++stats_.closed_timeout;
      break;
    case Why::idle:
      ++stats_.closed_idle;
      break;
    case Why::error:
      ++stats_.closed_error;
      break;
  }
  if (c.outbound() && !c.was_open()) {
    if (closing_) return;
    // Another address of the same name would be the same network's node: no point trying it.
    if (why == Why::refused) return unreachable(c.peer(), fail(Errc::permission, c.refusal()));
    return try_next(c.peer(), "connection failed");
  }
  auto it = open_.find(c.peer());
  if (it == open_.end() || it->second != &c) return;
  open_.erase(it);
  for (auto* other : conns_)
    if (other != &c && other->is_open() && other->peer() == c.peer()) {
      open_.emplace(c.peer(), other);
      break;
    }
}

void TcpTransport::on_released(TcpConnection& c) {
  conns_.erase(&c);
  finish_close();
}

void TcpTransport::close(std::function<void()> done) {
  closing_ = true;
  close_done_ = std::move(done);
  for (auto* r : resolving_) r->owner = nullptr;
  resolving_.clear();
  for (auto& [to, q] : dialing_) stats_.dropped_sends += q.messages.size();
  dialing_.clear();
  if (listener_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(listener_)))
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) {
      auto* t = static_cast<TcpTransport*>(h->data);
      free_tcp(h);
      if (!t) return;
      t->listener_ = nullptr;
      t->finish_close();
    });
  for (auto* c : std::vector<TcpConnection*>(conns_.begin(), conns_.end()))
    c->close(TcpConnection::Why::normal, "transport closing");
  finish_close();
}

void TcpTransport::finish_close() {
  if (!closing_ || listener_ || !conns_.empty() || !close_done_) return;
  auto done = std::move(close_done_);
  close_done_ = nullptr;
  done();  // last: it may destroy us
}

}  // namespace peerstore
