#include "host/node.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/dirs.h"
#include "common/log.h"
#include "common/process_memory.h"
#include "common/process_signals.h"
#include "host/admission.h"
#include "host/node_address.h"
#include "keys/identity.h"
#include "store/unsynced_marker.h"

namespace peerstore::host {
namespace {

// A storage node's store that a power cut may have corrupted (it held unsynced commits) goes
// aside, not away: the node starts empty and the ring refills it; the old one can be looked at.
Status set_aside_if_unsafe(const DataDirLayout& layout) {
  Status st = unsynced_marker::check(layout.store(), unsynced_marker::current_boot_id());
  if (st) return {};
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string aside = layout.store_set_aside(stamp);
  if (::rename(layout.store().c_str(), aside.c_str()) != 0)
    return fail(Errc::io, st.error().context + "; moving it to " + aside +
                              " failed: " + std::strerror(errno));
  log::warn(st.error().context + "; moved it to " + aside +
            " and starting with an empty store: the ring copies this node's share back");
  return {};
}

}  // namespace

Result<std::unique_ptr<Node>> Node::open(NodeOptions options) {
  ignore_sigpipe();
  limit_malloc_arenas();
  const DataDirLayout& layout = options.layout;
  PS_TRY(make_dirs(layout.data()));
  PS_ASSIGN(auto lock, DataDirLock::acquire(layout.data()));
  PS_ASSIGN(Admission admission, admit(layout, options.join));
  std::optional<SigningKey> device = std::move(options.device);
  options.device.reset();
  if (!device) {
    PS_ASSIGN(device, Identity::load_or_create_device(layout.data()));
  }
  std::unique_ptr<Node> node(new Node(std::move(options), std::move(lock)));
  node->join_ = std::move(admission.join);
  node->credentials_ = make_credentials(std::move(*device), std::move(admission.network_secret));
  const NodeOptions& o = node->options_;
  if (o.background_sync_ms > 0 && o.shared_store)
    return fail(Errc::invalid, "a mount's store is always synced before a replica acknowledges");
  // Only a storage node's store is the ring's to refill; a mount's is refused by open() below.
  if (!o.shared_store) PS_TRY(set_aside_if_unsafe(node->layout()));
  PS_ASSIGN(node->store_,
            LmdbStore::open(node->layout().store(), {.background_sync_ms = o.background_sync_ms}));
  node->store_->set_capacity(node->options_.capacity);
  PS_ASSIGN(node->ring_store_, node->store_->with_heads_db(DataDirLayout::kRingHeadsDb));
  PS_ASSIGN(node->claims_table_, node->store_->table(DataDirLayout::kClaimsDb));
  if (node->options_.shared_store) {
    node->front_ = std::make_unique<CollectingStore>(*node->store_);
    node->ring_front_ = std::make_unique<CollectingStore>(*node->ring_store_, *node->front_);
  }
  return node;
}

LocalStore& Node::store() {
  if (front_) return *front_;
  return *store_;
}

Result<std::unique_ptr<Node>> Node::start(NodeOptions options) {
  PS_ASSIGN(auto node, open(std::move(options)));
  PS_TRY(node->start());
  return node;
}

Status Node::start(std::function<std::unique_ptr<Transport>(Transport& inner)> wrap_transport) {
  if (dht_) return fail(Errc::invalid, "the node on " + layout().data() + " is started already");
  DhtClientOptions o;
  o.listen = options_.listen;
  o.join = join_;
  o.join_timeout_ms = options_.join_timeout_ms;
  o.credentials = credentials_;
  o.wrap_transport = std::move(wrap_transport);
  LocalStore& ring = ring_front_ ? static_cast<LocalStore&>(*ring_front_) : *ring_store_;
  PS_ASSIGN(dht_, DhtClient::start(ring, std::move(o)));
  PS_TRY(write_node_address(layout(), dht_->address()));
  address_written_ = true;
  return {};
}

Status Node::leave() {
  Status st = dht_->leave(std::chrono::seconds(60));
  remove_node_address(layout());
  address_written_ = false;
  if (st) return {};
  std::string why = "could not leave the ring cleanly: " + st.error().message() +
                    "; every key stays in " + layout().data() +
                    " (start the node again to finish the handoff; meanwhile the other nodes "
                    "repair)";
  return fail(st.code(), why);
}

Node::~Node() {
  if (address_written_) remove_node_address(layout());
}

}  // namespace peerstore::host
