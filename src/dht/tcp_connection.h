// TcpConnection: one TCP connection of a TcpTransport. It runs the Handshake (which admits and
// authenticates the peer and keys the connection), then carries messages both ways as sealed
// frames (FrameCodec: cap checked before buffering; writes go out as a
// header and the payload itself, uncopied), enforces the hello, frame and idle deadlines, and
// closes on bad input, saying why in one log line. It owns its libuv handles and frees itself
// once they are closed, so its owner may go away first (detach()). Loop thread only.
#pragma once

#include <uv.h>

#include <array>
#include <memory>
#include <string>

#include "dht/frame_codec.h"
#include "dht/handshake.h"

namespace peerstore {

class TcpConnection {
 public:
  // Why a connection closed; `refused`: the handshake did not admit the peer, or it us.
  enum class Why { normal, bad_input, refused, timeout, idle, error };

  // What the connection tells its owner, from libuv callbacks; on_closing() may also run
  // inside send() or close().
  class Owner {
   public:
    virtual void on_open(TcpConnection& c) = 0;  // handshake done: send() works now
    virtual void on_message(TcpConnection& c, ByteView message) = 0;
    // Once, when the connection starts closing; only on_released() follows.
    virtual void on_closing(TcpConnection& c, Why why) = 0;
    // Its handles are closed; the connection is deleted when this returns.
    virtual void on_released(TcpConnection& c) = 0;

   protected:
    ~Owner() = default;
  };

  struct Limits {
    int64_t hello_timeout_ms;  // from accept, or from the start of dialing
    int64_t frame_timeout_ms;  // from the first byte of a frame to its last
    int64_t idle_timeout_ms;   // with nothing read or written
  };

  // Takes a pending connection from `server`.
  static Result<TcpConnection*> accept(uv_stream_t* server, Owner& owner, Handshake handshake,
                                       Limits limits);
  // Connects to `addr`; `peer` is the address the owner asked for, and stays the peer's name.
  static Result<TcpConnection*> dial(uv_loop_t* loop, const sockaddr* addr, std::string peer,
                                     Owner& owner, Handshake handshake, Limits limits);

  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Open connections only. The payload goes through the handshake's frame filter.
  void send(Bytes message);
  // Idempotent. Pending writes are dropped.
  void close(Why why, const std::string& reason);
  // No more owner calls; the connection still closes and frees itself.
  void detach() { owner_ = nullptr; }

  bool is_open() const { return state_ == State::open; }
  bool closing() const { return state_ == State::closing; }
  bool outbound() const { return outbound_; }
  bool was_open() const { return was_open_; }
  // Who the peer is: the address we dialed, or the listen address its hello announced (which
  // the owner may replace, e.g. for clients that do not listen).
  const std::string& peer() const { return peer_; }
  void set_peer(std::string peer) { peer_ = std::move(peer); }
  // The ring id the peer proved in the handshake (open connections only).
  const Id256& peer_id() const { return peer_id_; }
  // Why the handshake failed and what to do, for the owner's on_closing (empty otherwise).
  const std::string& refusal() const { return refusal_; }
  // Bytes handed to the socket and not yet written.
  size_t queued_bytes() const { return queued_bytes_; }

 private:
  enum class State { connecting, handshaking, open, closing };
  struct Write;

  TcpConnection(uv_loop_t* loop, Owner& owner, Handshake handshake, Limits limits, bool outbound);
  ~TcpConnection() = default;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  int64_t now() const { return int64_t(uv_now(tcp_.loop)); }
  std::string who() const;
  void start_handshake();
  void write_frame(Bytes payload);
  void on_read(ssize_t n);
  void on_frame(Bytes payload);
  // Bad bytes before the handshake completed: from a peer we dialed, that is no PeerStore node
  // answering (a refusal the dialer reports in one line); from one that dialed us, bad input.
  void close_bad_input(const std::string& reason);
  void arm();
  void check_deadlines();
  void close_handles();

  static void on_connect(uv_connect_t* req, int status);
  static void on_written(uv_write_t* req, int status);
  static void on_handle_closed(uv_handle_t* h);

  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_connect_t connect_{};
  int open_handles_ = 2;
  Owner* owner_;
  Handshake handshake_;
  std::unique_ptr<FrameFilter> filter_;
  FrameCodec codec_{kMaxMessageSize + FrameFilter::kMaxOverhead};
  Limits limits_;
  State state_;
  bool outbound_;
  bool was_open_ = false;
  std::string peer_;
  Id256 peer_id_;
  std::string refusal_;
  std::string first_bytes_;  // what a dialed peer sent first, for "not a PeerStore node"
  std::string remote_;       // the socket's numeric peer address, for logs
  size_t queued_bytes_ = 0;
  int64_t started_at_;
  int64_t last_traffic_;
  int64_t frame_started_at_ = -1;  // -1: between frames
  int64_t armed_at_ = -1;
  std::array<uint8_t, 64 * 1024> read_buf_;  // reused by every read
};

}  // namespace peerstore
