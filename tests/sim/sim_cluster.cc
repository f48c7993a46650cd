#include "sim_cluster.h"

#include <algorithm>
#include <cstdlib>

#include "dht/ring.h"

namespace peerstore::sim {

ChordConfig sim_config() {
  ChordConfig c;
  c.rpc_timeout_ms = 400;
  c.hop_timeout_ms = 300;
  c.transfer_timeout_ms = 1000;
  c.stabilize_ms = 1000;
  c.check_predecessor_ms = 2000;
  c.fix_fingers_ms = 500;
  c.probe_ms = 2000;
  c.repair_ms = 4000;
  c.handoff_ms = 15000;
  return c;
}

SimCluster::SimCluster(uint64_t seed, ChordConfig cfg) : seed_(seed), cfg_(cfg), net_(seed) {}

SimCluster::~SimCluster() {
  // Nodes first: they cancel their timers on the network.
  for (auto& p : peers_) p->node.reset();
}

size_t SimCluster::add_node(const Wrap& wrap) {
  auto p = std::make_unique<SimPeer>();
  size_t i = peers_.size();
  p->addr = "n";
  p->addr += std::to_string(i);  // (not "n" + ...: GCC 12 warns falsely, -Wrestrict)
  p->ep = net_.add_endpoint(p->addr);
  // A node's id is BLAKE2b-256 of its device public key; the simulation draws the key bytes.
  PublicKey device;
  for (size_t k = 0; k < device.b.size(); k += 8) put_u64be(device.b.data() + k, rng()());
  p->id = node_id_for(device);
  p->store = std::make_unique<MemoryStore>();
  p->wrap = wrap;
  peers_.push_back(std::move(p));
  start_process(*peers_.back());
  return i;
}

void SimCluster::start_process(SimPeer& p) {
  p.transport = std::make_unique<SimTransport>(net_, p.ep);
  p.clock = std::make_unique<SimClock>(net_, p.ep);
  // Reports go through the node's clock, so a crash drops them like the rest of its events.
  p.disk = std::make_unique<InlineDiskQueue>(
      *p.store, [clock = p.clock.get(), delay = disk_delay_ms_](std::function<void()> fn) {
        clock->schedule(delay, std::move(fn));
      });
  ChordConfig c = cfg_;
  c.rng_seed = rng()();
  p.wrapper = p.wrap ? p.wrap(*p.transport) : nullptr;
  Transport& via = p.wrapper ? *p.wrapper : *p.transport;
  p.node = std::make_unique<ChordNode>(via, *p.clock, *p.store, *p.disk, p.id, c);
}

void SimCluster::restart(size_t i) {
  auto& p = *peers_[i];
  p.node.reset();
  p.disk.reset();
  p.wrapper.reset();
  p.clock.reset();
  p.transport.reset();
  net_.restart(p.ep);
  p.alive = true;
  start_process(p);
}

bool SimCluster::live(size_t i) const {
  auto& p = *peers_[i];
  return p.alive && p.node && p.node->is_member();
}

std::vector<size_t> SimCluster::live_nodes() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < peers_.size(); ++i)
    if (live(i)) out.push_back(i);
  return out;
}

ChordConfig release_config() {
  ChordConfig c = sim_config();
  c.release_grace_ms = 30000;
  c.release_ms = 2000;
  return c;
}

size_t SimCluster::holders(KeyKind kind, const Id256& key) {
  size_t n = 0;
  for (size_t i = 0; i < size(); ++i) n += peer(i).alive && node(i).storage().contains(kind, key);
  return n;
}

size_t SimCluster::random_live() {
  auto l = live_nodes();
  return l[rng()() % l.size()];
}

void SimCluster::run_checked(int64_t ms, int64_t step_ms, const std::function<void()>& step) {
  int64_t end = net_.now_ms() + ms;
  while (net_.now_ms() < end) {
    run_for(std::min(step_ms, end - net_.now_ms()));
    if (step) step();
  }
}

bool SimCluster::grow(size_t n, int64_t spacing_ms, const std::function<void()>& step) {
  size_t first = add_node();
  node(first).create();
  auto ok = std::make_shared<size_t>(1), failed = std::make_shared<size_t>(0);
  for (size_t k = 1; k < n; ++k) {
    size_t i = add_node();
    size_t via = random_live();
    node(i).join(peer(via).addr, [ok, failed](Status st) { st ? ++*ok : ++*failed; });
    run_for(spacing_ms);
    if (step) step();
  }
  // Let the last joins finish.
  for (int t = 0; t < 300 && *ok + *failed < n; ++t) run_for(100);
  return *failed == 0 && *ok == n;
}

Status SimCluster::join(size_t i) {
  size_t via = random_live();
  return await<Status>([&](auto cb) { node(i).join(peer(via).addr, cb); },
                       fail(Errc::timeout, "join did not finish"), 60000);
}

void SimCluster::crash(size_t i) {
  auto& p = *peers_[i];
  p.alive = false;
  net_.crash(p.ep);
  p.node.reset();
}

Status SimCluster::leave(size_t i) {
  Status result = await<Status>([&](auto cb) { node(i).leave(cb); },
                                fail(Errc::timeout, "leave did not finish"), 60000);
  // Gone for good: the endpoint stops, like a process that exited.
  peers_[i]->alive = false;
  net_.crash(peers_[i]->ep);
  peers_[i]->node.reset();
  return result;
}

void SimCluster::set_group(size_t i, int group) {
  peers_[i]->group = group;
  net_.set_group(peers_[i]->ep, group);
}

void SimCluster::heal() {
  for (auto& p : peers_) p->group = 0;
  net_.heal();
}

std::vector<size_t> SimCluster::ring_order(std::optional<int> group) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < peers_.size(); ++i)
    if (live(i) && (!group || peers_[i]->group == *group)) out.push_back(i);
  std::sort(out.begin(), out.end(),
            [&](size_t a, size_t b) { return peers_[a]->id < peers_[b]->id; });
  return out;
}

std::vector<size_t> SimCluster::true_successors(const Id256& key, size_t count,
                                                std::optional<int> group) const {
  return successors_in(ring_order(group), key, count);
}

std::vector<size_t> SimCluster::successors_in(const std::vector<size_t>& order, const Id256& key,
                                              size_t count) const {
  std::vector<size_t> out;
  if (order.empty()) return out;
  auto it = std::lower_bound(order.begin(), order.end(), key,
                             [&](size_t a, const Id256& k) { return peers_[a]->id < k; });
  size_t start = size_t(it - order.begin()) % order.size();
  for (size_t k = 0; k < std::min(count, order.size()); ++k)
    out.push_back(order[(start + k) % order.size()]);
  return out;
}

template <typename T>
T SimCluster::await(const std::function<void(std::function<void(T)>)>& start, T on_timeout,
                    int64_t max_ms) {
  // Shared with the callback, which may run after we gave up waiting.
  auto slot = std::make_shared<std::optional<T>>();
  start([slot](T v) { *slot = std::move(v); });
  int64_t deadline = net_.now_ms() + max_ms;
  while (!slot->has_value() && net_.now_ms() <= deadline)
    if (!net_.run_one()) break;
  if (!slot->has_value()) return on_timeout;
  return std::move(**slot);
}

Result<Lookup::Outcome> SimCluster::lookup(size_t from, const Id256& key, int64_t max_ms) {
  return await<Result<Lookup::Outcome>>([&](auto cb) { node(from).lookup(key, cb); },
                                        fail(Errc::timeout, "lookup did not finish"), max_ms);
}

Result<std::vector<uint32_t>> SimCluster::count_copies(size_t from, std::vector<Id256> ids,
                                                       int64_t max_ms) {
  return await<Result<std::vector<uint32_t>>>(
      [&](auto cb) { node(from).count_copies(std::move(ids), cb); },
      fail(Errc::timeout, "count_copies did not finish"), max_ms);
}

Status SimCluster::put_block(size_t from, const Id256& id, const Bytes& data, int64_t max_ms) {
  return await<Status>([&](auto cb) { node(from).put_block(id, data, cb); },
                       fail(Errc::timeout, "put_block did not finish"), max_ms);
}

Result<Bytes> SimCluster::get_block(size_t from, const Id256& id, int64_t max_ms) {
  return await<Result<Bytes>>([&](auto cb) { node(from).get_block(id, cb); },
                              fail(Errc::timeout, "get_block did not finish"), max_ms);
}

Status SimCluster::put_heads(size_t from, const VolumeId& v, const std::vector<Bytes>& heads,
                             int64_t max_ms) {
  return await<Status>([&](auto cb) { node(from).put_heads(v, heads, cb); },
                       fail(Errc::timeout, "put_heads did not finish"), max_ms);
}

Result<std::vector<Bytes>> SimCluster::get_heads(size_t from, const VolumeId& v, int64_t max_ms) {
  return await<Result<std::vector<Bytes>>>([&](auto cb) { node(from).get_heads(v, cb); },
                                           fail(Errc::timeout, "get_heads did not finish"), max_ms);
}

Status SimCluster::put_records(size_t from, KeyKind kind, const Id256& owner,
                               const std::vector<Bytes>& records, int64_t max_ms) {
  return await<Status>([&](auto cb) { node(from).put_records(kind, owner, records, cb); },
                       fail(Errc::timeout, "put_records did not finish"), max_ms);
}

Result<std::vector<Bytes>> SimCluster::get_records(size_t from, KeyKind kind, const Id256& owner,
                                                   int64_t max_ms) {
  return await<Result<std::vector<Bytes>>>(
      [&](auto cb) { node(from).get_records(kind, owner, cb); },
      fail(Errc::timeout, "get_records did not finish"), max_ms);
}

}  // namespace peerstore::sim
