// ChordNode: head watches, the push half of live sync (HeadWatch holds the state).
#include "common/log.h"
#include "dht/chord_node.h"

namespace peerstore {

// Watches are by DHT key, so one mechanism serves every record kind.
void ChordNode::watch_records(KeyKind kind, const Id256& owner, std::function<void()> changed) {
  watch_.watch(RecordSet::key_for(kind, owner), std::move(changed));
  if (state_ == State::member) renew_watches();
}

void ChordNode::renew_watches() {
  for (const Id256& key : watch_.watching()) {
    lookup(key, [this, key](Result<Lookup::Outcome> r) {
      if (!r) return;  // the next renewal tries again; the mount polls meanwhile
      for (const NodeRef& n : replicas_of(r->successors))
        rpc_.call(n.addr, msg::WatchHeads{key}, cfg_.rpc_timeout_ms, [](Result<Message>) {});
    });
  }
}

void ChordNode::notify_watchers(const Id256& key) {
  for (const NodeRef& w : watch_.watchers(key, clock_.now_ms())) {
    if (w.id == self_.id) {
      watch_.changed(key);
      continue;
    }
    rpc_.call(w.addr, msg::HeadsChanged{key}, cfg_.rpc_timeout_ms, [](Result<Message>) {});
  }
}

}  // namespace peerstore
