#include "host/share_receiver.h"

#include <sodium.h>

#include <chrono>
#include <future>
#include <set>

#include "common/log.h"
#include "keys/user_id.h"

namespace peerstore::host {
namespace {

constexpr auto kPoll = std::chrono::seconds(5);
constexpr auto kAsk = std::chrono::seconds(10);

Bytes order_bytes(const ReceivedShares::Order& o) {
  Bytes b(48);
  put_u64be(b.data(), o.epoch);
  put_u64be(b.data() + 8, uint64_t(o.time_ns));
  std::copy(o.hash.b.begin(), o.hash.b.end(), b.begin() + 16);
  return b;
}

ReceivedShares::Order order_from(const Bytes& b) {  // b.size() == 48
  ReceivedShares::Order o;
  o.epoch = get_u64be(b.data());
  o.time_ns = int64_t(get_u64be(b.data() + 8));
  std::copy(b.begin() + 16, b.end(), o.hash.b.begin());
  return o;
}

}  // namespace

ShareReceiver::Inbox ShareReceiver::inbox_of(DhtClient& dht, const PublicKey& user) {
  Inbox in;
  in.read = [&dht, user]() -> Result<std::vector<Bytes>> {
    auto done = std::make_shared<std::promise<Result<std::vector<Bytes>>>>();
    auto answer = done->get_future();
    dht.get_records(KeyKind::inbox, user,
                    [done](Result<std::vector<Bytes>> r) { done->set_value(std::move(r)); });
    if (answer.wait_for(kAsk) != std::future_status::ready)
      return fail(Errc::timeout, "the inbox did not answer within 10 s");
    return answer.get();
  };
  in.watch = [&dht, user](std::function<void()> f) {
    dht.watch_records(KeyKind::inbox, user, std::move(f));
  };
  return in;
}

ShareReceiver::ShareReceiver(Inbox inbox, FileSystem& home, const SigningKey& user, Caller owner)
    : inbox_(std::move(inbox)),
      home_(home),
      user_(SigningKey::from_seed(user.seed())),
      owner_(owner),
      shares_(user_) {}

ShareReceiver::~ShareReceiver() {
  stop();
}

void ShareReceiver::start() {
  // What earlier runs placed: their slots and orders, so nothing older is taken again.
  std::vector<FileSystem::FoundLink> found;
  if (int e = home_.links_below({std::string(kSharedDir)}, &found); e != 0)
    log::warn("shares: cannot read what /" + std::string(kSharedDir) + " holds: errno " +
              std::to_string(e));
  for (auto& f : found) {
    auto slot = f.xattrs.find(std::string(kSlotAttr));
    auto order = f.xattrs.find(std::string(kOrderAttr));
    if (slot == f.xattrs.end() || slot->second.size() != 64 || order == f.xattrs.end() ||
        order->second.size() != 48)
      continue;
    auto content = GrantContent::decode(ByteView(f.link->data(), f.link->size()));
    if (!content) continue;
    ReceivedShares::SlotKey key;
    std::copy(slot->second.begin(), slot->second.begin() + 32, key.first.b.begin());
    std::copy(slot->second.begin() + 32, slot->second.end(), key.second.b.begin());
    placed_[key] = f.path;
    shares_.remember(key, order_from(order->second), std::move(*content));
  }
  std::map<std::string, Bytes> withdrawn;
  (void)home_.hidden(NodeTable::kRootIno, kWithdrawnAttr, &withdrawn);
  for (auto& [name, value] : withdrawn) {
    auto bytes = from_hex(std::string_view(name).substr(kWithdrawnAttr.size()));
    if (!bytes || bytes->size() != 64 || value.size() != 48) continue;
    ReceivedShares::SlotKey key;
    std::copy(bytes->begin(), bytes->begin() + 32, key.first.b.begin());
    std::copy(bytes->begin() + 32, bytes->end(), key.second.b.begin());
    shares_.remember_withdrawn(key, order_from(value));
  }
  // A link still placed for a slot withdrawn since (its removal failed then): it goes now.
  for (auto it = placed_.begin(); it != placed_.end();) {
    if (shares_.shares().count(it->first)) {
      ++it;
      continue;
    }
    (void)home_.remove_link(it->second);
    it = placed_.erase(it);
  }
  std::map<std::string, Bytes> left;
  (void)home_.hidden(NodeTable::kRootIno, kLeftAttr, &left);
  for (auto& [name, unused] : left) {
    auto bytes = from_hex(std::string_view(name).substr(kLeftAttr.size()));
    if (!bytes || bytes->size() != 64) continue;
    ReceivedShares::SlotKey key;
    std::copy(bytes->begin(), bytes->begin() + 32, key.first.b.begin());
    std::copy(bytes->begin() + 32, bytes->end(), key.second.b.begin());
    left_.insert(key);
  }
  waker_ = std::make_shared<std::function<void()>>([this] {
    std::lock_guard lock(mu_);
    woken_ = true;
    wake_.notify_all();
  });
  std::weak_ptr<std::function<void()>> weak = waker_;
  inbox_.watch([weak] {
    if (auto w = weak.lock()) (*w)();
  });
  thread_ = std::thread([this] { loop(); });
}

void ShareReceiver::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  waker_.reset();  // the ring's watch outlives this object: it finds nothing to wake
}

void ShareReceiver::loop() {
  bool warned = false;
  std::unique_lock lock(mu_);
  while (!stop_) {
    woken_ = false;
    lock.unlock();
    Status st = round();
    if (!st && !warned) log::warn("shares: " + st.error().message() + " (retrying)");
    warned = !st;
    lock.lock();
    wake_.wait_for(lock, kPoll, [this] { return stop_ || woken_; });
  }
}

Status ShareReceiver::round() {
  auto grants = inbox_.read();
  if (!grants && grants.code() == Errc::not_found) grants = std::vector<Bytes>();
  if (!grants) return fail(grants.code(), "cannot read the inbox: " + grants.error().message());
  // A link the user removed (peerstore-share leave, or rmdir, on any of their computers):
  // its slot stays left, and no grant brings it back.
  std::vector<FileSystem::FoundLink> found;
  if (home_.links_below({std::string(kSharedDir)}, &found) == 0) {
    std::set<std::vector<std::string>> present;
    for (auto& f : found) present.insert(f.path);
    for (auto it = placed_.begin(); it != placed_.end();) {
      if (present.count(it->second)) {
        ++it;
        continue;
      }
      left_.insert(it->first);
      std::string name = std::string(kLeftAttr) + it->first.first.hex() + it->first.second.hex();
      if (int e = home_.set_hidden(NodeTable::kRootIno, name, {}))
        log::warn("shares: cannot record that a share was left: errno " + std::to_string(e));
      log::info("shares: /" + it->second[0] + "/" + it->second[1] + "/" + it->second[2] +
                " was left");
      it = placed_.erase(it);
    }
  }
  Status result;
  for (auto& c : shares_.update(*grants))
    if (Status st = apply(c); !st && result) result = st;
  // A name given (or changed) since a link was placed: the link moves to it.
  std::vector<ReceivedShares::Change> moves;
  for (auto& [slot, path] : placed_) {
    auto share = shares_.shares().find(slot);
    if (share != shares_.shares().end() && path_for(share->second) != path)
      moves.push_back({ReceivedShares::Change::Kind::changed, slot});
  }
  for (auto& c : moves)
    if (Status st = apply(c); !st && result) result = st;
  return result;
}

std::vector<std::string> ShareReceiver::path_for(const GrantContent& g) const {
  std::map<std::string, Bytes> name;
  std::string attr = std::string(kNameAttr) + g.grantor.hex();
  (void)home_.hidden(NodeTable::kRootIno, attr, &name);
  auto it = name.find(attr);
  std::string owner = UserId::short_form(g.grantor);
  if (it != name.end() && GrantContent::check_folder(as_chars(it->second)))
    owner = std::string(as_chars(it->second));
  return {std::string(kSharedDir), owner, g.folder};
}

void ShareReceiver::wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  wake_.notify_all();
}

Status ShareReceiver::apply(const ReceivedShares::Change& c) {
  using Kind = ReceivedShares::Change::Kind;
  if (left_.count(c.slot)) return {};
  auto was = placed_.find(c.slot);
  if (c.kind == Kind::removed) {
    // Recorded first: after a restart no older grant of the slot is taken again.
    if (const ReceivedShares::Order* order = shares_.order_of(c.slot)) {
      std::string mark = std::string(kWithdrawnAttr) + c.slot.first.hex() + c.slot.second.hex();
      if (int e = home_.set_hidden(NodeTable::kRootIno, mark, order_bytes(*order)))
        log::warn("shares: cannot record a withdrawal: errno " + std::to_string(e));
    }
    if (was == placed_.end()) return {};
    int e = home_.remove_link(was->second);
    if (e != 0 && e != ENOENT)  // ENOENT: the user removed it already
      return fail(errc_of_errno(e), "cannot remove a withdrawn share: errno " + std::to_string(e));
    log::info("shares: a share was withdrawn: /" + was->second[0] + "/" + was->second[1] + "/" +
              was->second[2]);
    placed_.erase(was);
    return {};
  }
  const GrantContent& g = shares_.shares().at(c.slot);
  const ReceivedShares::Order* order = shares_.order_of(c.slot);
  std::vector<std::string> path = path_for(g);
  Bytes encoded = g.encode();
  Secret link(encoded);
  sodium_memzero(encoded.data(), encoded.size());
  Bytes slot(64);
  std::copy(c.slot.first.b.begin(), c.slot.first.b.end(), slot.begin());
  std::copy(c.slot.second.b.begin(), c.slot.second.b.end(), slot.begin() + 32);
  std::map<std::string, Bytes> attrs{{std::string(kSlotAttr), slot},
                                     {std::string(kOrderAttr), order_bytes(*order)}};
  // A renamed folder moves: the old name goes first.
  if (was != placed_.end() && was->second != path) (void)home_.remove_link(was->second);
  if (int e = home_.place_link(owner_, path, link, ByteView(g.volume.b.data(), g.volume.b.size()),
                               attrs, g.time_ns);
      e != 0)
    return fail(errc_of_errno(e), "cannot show the share " + g.folder + " from " +
                                      UserId::short_form(g.grantor) + ": errno " +
                                      std::to_string(e));
  placed_[c.slot] = path;
  log::info("shares: " + UserId::short_form(g.grantor) + " shared " + g.folder +
            (g.writable() ? " (read and write)" : " (read only)") + ": /" + path[0] + "/" +
            path[1] + "/" + path[2]);
  return {};
}

}  // namespace peerstore::host
