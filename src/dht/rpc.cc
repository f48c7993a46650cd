#include "dht/rpc.h"

#include <algorithm>

#include "common/log.h"

namespace peerstore {

Rpc::Rpc(Transport& transport, Clock& clock, NodeRef self)
    : transport_(transport), clock_(clock), self_(std::move(self)) {
  transport_.set_receiver([this](const std::string& from, const std::optional<Id256>& proven_id,
                                 ByteView bytes) { on_bytes(from, proven_id, bytes); });
  // The transport may say so from inside send(), and a callback must never run inside call().
  transport_.set_unreachable_handler([this](const std::string& to, const Error& why) {
    defer([this, to, why] { fail_calls_to(to, why); });
  });
}

Rpc::~Rpc() {
  transport_.set_receiver(nullptr);
  transport_.set_unreachable_handler(nullptr);
  drop_all();
}

void Rpc::fail_calls_to(const std::string& to, const Error& why) {
  // A refused connection means nobody listens there: fail now rather than at the timeout, so a
  // crashed node is noticed in milliseconds when its host is up.
  std::vector<uint64_t> ids;
  for (auto& [id, p] : pending_)
    if (p.to == to) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // a callback before us removed it
    Reply cb = std::move(it->second.cb);
    clock_.cancel(it->second.timer);
    pending_.erase(it);
    ++stats_.unreachable;
    cb(why);
  }
}

void Rpc::drop_all() {
  for (auto& [id, p] : pending_) clock_.cancel(p.timer);
  pending_.clear();
  for (auto& [id, t] : deferred_) clock_.cancel(t);
  deferred_.clear();
}

void Rpc::defer(std::function<void()> fn) {
  uint64_t id = next_deferred_++;
  deferred_[id] = clock_.schedule(0, [this, id, fn = std::move(fn)] {
    deferred_.erase(id);
    fn();
  });
}

void Rpc::send(const std::string& to, Message m) {
  if (to == self_.addr) {
    defer([this, m = std::move(m)]() mutable { on_message(self_.addr, std::move(m)); });
    return;
  }
  Bytes bytes = m.encode();
  bytes_out_ += bytes.size();
  transport_.send(to, std::move(bytes));
}

void Rpc::call(const std::string& to, Body request, int64_t timeout_ms, Reply cb,
               unsigned attempts) {
  call(to, std::make_shared<const Body>(std::move(request)), timeout_ms, std::move(cb), attempts);
}

void Rpc::call(const std::string& to, std::shared_ptr<const Body> request, int64_t timeout_ms,
               Reply cb, unsigned attempts) {
  if (attempts <= 1) return call_once(to, request, timeout_ms, std::move(cb));
  call_once(
      to, request, timeout_ms,
      [this, to, request, timeout_ms, cb = std::move(cb), attempts](Result<Message> r) mutable {
        if (r.code() == Errc::timeout) {
          ++stats_.retries;
          return call(to, std::move(request), timeout_ms, std::move(cb), attempts - 1);
        }
        cb(std::move(r));
      });
}

void Rpc::call_once(const std::string& to, const std::shared_ptr<const Body>& request,
                    int64_t timeout_ms, Reply cb) {
  uint64_t id = next_id_++;
  ++stats_.calls;
  ++called_[request->index()];
  Pending p;
  p.to = to;
  p.cb = std::move(cb);
  p.sent_ms = clock_.now_ms();
  p.timer = clock_.schedule(timeout_ms, [this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Reply cb = std::move(it->second.cb);
    std::string to = std::move(it->second.to);
    pending_.erase(it);
    ++stats_.timeouts;
    cb(fail(Errc::timeout, "no answer from " + to));
  });
  pending_.emplace(id, std::move(p));
  // To this node itself the message goes as an object, so it needs its own copy of the body.
  if (to == self_.addr) return send(to, Message{id, self_, *request});
  Bytes bytes = Message::encode(id, self_, *request);
  bytes_out_ += bytes.size();
  transport_.send(to, std::move(bytes));
}

void Rpc::respond(const std::string& to, uint64_t request_id, Body response) {
  send(to, Message{request_id, self_, std::move(response)});
}

void Rpc::on_bytes(const std::string& from, const std::optional<Id256>& proven_id, ByteView bytes) {
  bytes_in_ += bytes.size();
  auto m = Message::decode(bytes);
  if (!m) {
    ++stats_.corrupt;
    log::debug("dht: dropped a message from " + from + ": " + m.error().message());
    return;
  }
  // A peer speaks only for the id its handshake proved: it cannot pose as another node, e.g. to
  // become someone's predecessor or to answer for a node it is not.
  if (proven_id && m->sender.id != *proven_id) {
    ++stats_.impostor;
    log::warn("dht: dropped a message from " + from + " that claims to come from node " +
              m->sender.id.short_hex() + " but proved " + proven_id->short_hex());
    return;
  }
  on_message(from, std::move(*m));
}

void Rpc::on_message(const std::string& from, Message m) {
  if (!m.is_response()) {
    ++stats_.requests;
    ++served_[m.body.index()];
    if (observer_) observer_(from, m.sender, false);
    if (handler_) handler_(from, std::move(m));
    return;
  }
  auto it = pending_.find(m.request_id);
  if (it == pending_.end() || it->second.to != from) {
    ++stats_.stray;  // late (after its timeout), duplicate, or not from whom we asked
    return;
  }
  Reply cb = std::move(it->second.cb);
  clock_.cancel(it->second.timer);
  latency_.record_us(uint64_t(std::max<int64_t>(0, clock_.now_ms() - it->second.sent_ms)) * 1000);
  if (observer_) observer_(from, m.sender, true);
  pending_.erase(it);
  ++stats_.responses;
  if (auto* e = std::get_if<msg::Error>(&m.body)) {
    cb(fail(e->code, from + ": " + e->text));
    return;
  }
  cb(std::move(m));
}

RpcTraffic Rpc::traffic() const {
  RpcTraffic t;
  t.served = served_;
  t.called = called_;
  t.bytes_in = bytes_in_;
  t.bytes_out = bytes_out_;
  t.timeouts = stats_.timeouts;
  t.unreachable = stats_.unreachable;
  t.corrupt = stats_.corrupt;
  t.impostor = stats_.impostor;
  t.latency = latency_.snapshot();
  return t;
}

}  // namespace peerstore
