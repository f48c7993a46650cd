// ChordNode: head watches, the push half of live sync (HeadWatch holds the state).
#include "common/log.h"
#include "dht/chord_node.h"

namespace peerstore {

void ChordNode::watch_heads(const VolumeId& volume, std::function<void()> changed) {
  watch_.watch(volume, std::move(changed));
  if (state_ == State::member) renew_watches();
}

void ChordNode::renew_watches() {
  for (const VolumeId& v : watch_.watching()) {
    lookup(HeadSet::key_for(v), [this, v](Result<Lookup::Outcome> r) {
      if (!r) return;  // the next renewal tries again; the mount polls meanwhile
      for (const NodeRef& n : replicas_of(r->successors))
        rpc_.call(n.addr, msg::WatchHeads{v}, cfg_.rpc_timeout_ms, [](Result<Message>) {});
    });
  }
}

void ChordNode::notify_watchers(const VolumeId& volume) {
  for (const NodeRef& w : watch_.watchers(volume, clock_.now_ms())) {
    if (w.id == self_.id) {
      watch_.changed(volume);
      continue;
    }
    rpc_.call(w.addr, msg::HeadsChanged{volume}, cfg_.rpc_timeout_ms, [](Result<Message>) {});
  }
}

}  // namespace peerstore
