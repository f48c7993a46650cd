#include "dht/tcp_connection.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/log.h"
#include "dht/host_port.h"
#include "dht/message.h"

namespace peerstore {

// Rpc's encodings leave room for the tag, so sealing a frame copies nothing.
static_assert(FrameFilter::kMaxOverhead <= Message::kEncodeSlack);
namespace {

std::string numeric_peer(uv_tcp_t* tcp) {
  sockaddr_storage sa{};
  int len = sizeof sa;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return "?";
  auto hp = HostPort::from(reinterpret_cast<sockaddr*>(&sa));
  return hp ? hp->str() : "?";
}

// What to do about a refusal, for the log line on each side.
const std::string kRefusedPeer =
    "; refused it: a device joins this network with a token from 'peerstore invite' on a member";
const std::string kRefusedByUs =
    "; it belongs to another PeerStore network, or ours is the wrong secret: get a token with "
    "'peerstore invite' on one of its members and pass --join TOKEN";

constexpr size_t kFirstBytes = 24;

}  // namespace

// One frame on its way out: the header lives here, the payload is written from where it is.
struct TcpConnection::Write {
  uv_write_t req;
  std::array<uint8_t, FrameCodec::kPrefix> header;
  Bytes payload;
};

TcpConnection::TcpConnection(uv_loop_t* loop, Owner& owner, Handshake handshake, Limits limits,
                             bool outbound)
    : owner_(&owner),
      handshake_(std::move(handshake)),
      limits_(limits),
      state_(outbound ? State::connecting : State::handshaking),
      outbound_(outbound) {
  // Neither can fail on Unix: they only link the handles into the loop.
  if (uv_tcp_init(loop, &tcp_) != 0 || uv_timer_init(loop, &timer_) != 0) {
    std::fprintf(stderr, "TcpConnection: cannot initialize libuv handles\n");
    std::abort();
  }
  tcp_.data = this;
  timer_.data = this;
  connect_.data = this;
  started_at_ = last_traffic_ = now();
}

Result<TcpConnection*> TcpConnection::accept(uv_stream_t* server, Owner& owner, Handshake handshake,
                                             Limits limits) {
  auto* c = new TcpConnection(server->loop, owner, std::move(handshake), limits, false);
  if (int rc = uv_accept(server, c->stream()); rc != 0) {
    c->detach();
    c->close_handles();
    return fail(Errc::io, std::string("accept: ") + uv_strerror(rc));
  }
  c->remote_ = numeric_peer(&c->tcp_);
  c->start_handshake();
  return c;
}

Result<TcpConnection*> TcpConnection::dial(uv_loop_t* loop, const sockaddr* addr, std::string peer,
                                           Owner& owner, Handshake handshake, Limits limits) {
  auto* c = new TcpConnection(loop, owner, std::move(handshake), limits, true);
  c->peer_ = std::move(peer);
  if (auto hp = HostPort::from(addr)) c->remote_ = hp->str();
  if (int rc = uv_tcp_connect(&c->connect_, &c->tcp_, addr, on_connect); rc != 0) {
    std::string why = "cannot connect to " + c->peer_ + ": " + uv_strerror(rc);
    c->detach();
    c->close_handles();
    return fail(Errc::unavailable, why);
  }
  c->arm();  // the hello deadline covers connecting too
  return c;
}

void TcpConnection::on_connect(uv_connect_t* req, int status) {
  auto* c = static_cast<TcpConnection*>(req->data);
  if (c->closing()) return;  // cancelled by close()
  if (status < 0)
    return c->close(Why::error, std::string("cannot connect: ") + uv_strerror(status));
  c->start_handshake();
}

void TcpConnection::start_handshake() {
  state_ = State::handshaking;
  // Requests and answers are small and latency-bound.
  uv_tcp_nodelay(&tcp_, 1);
  int rc = uv_read_start(
      stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<TcpConnection*>(h->data);
        *buf = uv_buf_init(reinterpret_cast<char*>(c->read_buf_.data()), c->read_buf_.size());
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        static_cast<TcpConnection*>(s->data)->on_read(n);
      });
  if (rc != 0) return close(Why::error, std::string("cannot read: ") + uv_strerror(rc));
  write_frame(handshake_.first_frame());
  arm();
}

void TcpConnection::send(Bytes message) {
  if (!is_open()) return;
  write_frame(filter_ ? filter_->seal(std::move(message)) : std::move(message));
}

void TcpConnection::write_frame(Bytes payload) {
  auto* w = new Write;
  w->req.data = w;
  w->header = FrameCodec::prefix(payload.size());
  w->payload = std::move(payload);
  uv_buf_t bufs[2] = {uv_buf_init(reinterpret_cast<char*>(w->header.data()), w->header.size()),
                      uv_buf_init(reinterpret_cast<char*>(w->payload.data()), w->payload.size())};
  if (int rc = uv_write(&w->req, stream(), bufs, 2, on_written); rc != 0) {
    delete w;
    return close(Why::error, std::string("cannot write: ") + uv_strerror(rc));
  }
  queued_bytes_ += w->header.size() + w->payload.size();
}

void TcpConnection::on_written(uv_write_t* req, int status) {
  std::unique_ptr<Write> w(static_cast<Write*>(req->data));
  // libuv runs every write callback (cancelled ones too) before the close callbacks, so the
  // connection is still there.
  auto* c = static_cast<TcpConnection*>(req->handle->data);
  c->queued_bytes_ -= w->header.size() + w->payload.size();
  if (status == UV_ECANCELED || c->closing()) return;
  if (status < 0) return c->close(Why::error, std::string("write failed: ") + uv_strerror(status));
  c->last_traffic_ = c->now();
}

void TcpConnection::on_read(ssize_t n) {
  if (n == 0) return;  // EAGAIN
  if (n < 0) {
    if (n != UV_EOF) return close(Why::error, uv_strerror(int(n)));
    if (auto st = codec_.finish(); !st) return close_bad_input(st.error().context);
    return close(Why::normal, "closed by the peer");
  }
  last_traffic_ = now();
  if (outbound_ && !was_open_ && first_bytes_.size() < kFirstBytes)
    first_bytes_.append(reinterpret_cast<const char*>(read_buf_.data()),
                        std::min(size_t(n), kFirstBytes - first_bytes_.size()));
  codec_.feed(ByteView(read_buf_.data(), size_t(n)));
  bool completed = false;
  for (;;) {
    auto frame = codec_.next();
    if (!frame) return close_bad_input(frame.error().context);
    if (!*frame) break;
    completed = true;
    on_frame(std::move(**frame));
    if (closing()) return;
  }
  // The slow-drip deadline runs from the first byte of the frame now being buffered.
  if (codec_.buffered() == 0) {
    frame_started_at_ = -1;
  } else if (completed || frame_started_at_ < 0) {
    frame_started_at_ = now();
    arm();
  }
}

void TcpConnection::on_frame(Bytes payload) {
  if (state_ == State::handshaking) {
    auto step = handshake_.receive(payload);
    if (!step && step.code() == Errc::permission) {
      refusal_ = step.error().context + (outbound_ ? kRefusedByUs : kRefusedPeer);
      return close(Why::refused, refusal_);
    }
    if (!step) return close_bad_input("bad handshake: " + step.error().context);
    for (auto& f : step->reply) write_frame(std::move(f));
    if (!step->done || closing()) return;
    auto& done = *step->done;
    filter_ = std::move(done.filter);
    // We keep calling a dialed peer by the address we were asked to dial: that is where the
    // node sent its requests, and where it expects the answers from.
    if (!outbound_) peer_ = std::move(done.peer_listen);
    peer_id_ = done.peer_id;
    state_ = State::open;
    was_open_ = true;
    if (owner_) owner_->on_open(*this);
    return;
  }
  if (filter_) {
    auto opened = filter_->open(std::move(payload));
    if (!opened) return close(Why::bad_input, opened.error().context);
    payload = std::move(*opened);
  }
  if (owner_) owner_->on_message(*this, payload);
}

void TcpConnection::close_bad_input(const std::string& reason) {
  if (!outbound_ || was_open_) return close(Why::bad_input, reason);
  std::string seen;
  for (char c : first_bytes_) seen += (c >= 0x20 && c < 0x7f) ? c : '.';
  refusal_ = "the peer at " + peer_ + " answered, but not as a PeerStore node (" + reason +
             (seen.empty() ? std::string() : "; it sent \"" + seen + "\"") +
             "); check the address and port";
  close(Why::refused, refusal_);
}

void TcpConnection::arm() {
  int64_t due = last_traffic_ + limits_.idle_timeout_ms;
  if (state_ != State::open) due = std::min(due, started_at_ + limits_.hello_timeout_ms);
  if (frame_started_at_ >= 0) due = std::min(due, frame_started_at_ + limits_.frame_timeout_ms);
  // A timer already due earlier fires, finds nothing due, and re-arms: activity never has to
  // touch the timer.
  if (armed_at_ >= 0 && armed_at_ <= due) return;
  armed_at_ = due;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<TcpConnection*>(t->data)->check_deadlines(); },
      uint64_t(std::max<int64_t>(due - now(), 0)), 0);
}

void TcpConnection::check_deadlines() {
  armed_at_ = -1;
  int64_t t = now();
  if (state_ != State::open && t >= started_at_ + limits_.hello_timeout_ms)
    return close(Why::timeout,
                 std::string(state_ == State::connecting ? "no connection" : "no hello") +
                     " within " + std::to_string(limits_.hello_timeout_ms) + " ms");
  if (frame_started_at_ >= 0 && t >= frame_started_at_ + limits_.frame_timeout_ms)
    return close(Why::timeout, "frame not complete within " +
                                   std::to_string(limits_.frame_timeout_ms) + " ms (" +
                                   std::to_string(codec_.buffered()) + " bytes so far)");
  if (t >= last_traffic_ + limits_.idle_timeout_ms)
    return close(Why::idle, "idle for " + std::to_string(limits_.idle_timeout_ms) + " ms");
  arm();
}

std::string TcpConnection::who() const {
  if (outbound_)
    return "to " + peer_ + (remote_.empty() || remote_ == peer_ ? "" : " (" + remote_ + ")");
  return "from " + remote_ + (peer_.empty() ? "" : " (" + peer_ + ")");
}

void TcpConnection::close(Why why, const std::string& reason) {
  if (closing()) return;
  state_ = State::closing;
  std::string line = "tcp: closed connection " + who() + ": " + reason;
  // A refusal of ours is the dialer's caller's to report (a join prints it as its one error
  // line); a refusal of a peer that dialed us is only ever seen here.
  bool ours = why == Why::refused && outbound_;
  if (why == Why::bad_input || why == Why::timeout || (why == Why::refused && !ours))
    log::warn(line);
  else
    log::debug(line);
  if (owner_) owner_->on_closing(*this, why);
  close_handles();
}

void TcpConnection::close_handles() {
  state_ = State::closing;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
}

void TcpConnection::on_handle_closed(uv_handle_t* h) {
  auto* c = static_cast<TcpConnection*>(h->data);
  if (--c->open_handles_ > 0) return;
  if (c->owner_) c->owner_->on_released(*c);
  delete c;
}

}  // namespace peerstore
