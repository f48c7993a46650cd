// dht_bench: PeerStore's DHT put/get latency and throughput (bench/kv_workload.h) against a
// running ring. It joins the ring as a node of its own (in-memory store), waits for its
// successor list to fill, then runs the workload with block puts and gets: the key of a value
// is BLAKE2b-256 of it, as for every block, since nodes refuse a block that does not hash to
// its id. Gets leave out the blocks this node keeps as a replica itself (it would answer them
// from memory, without the network) unless --include-local. bench/dht_bench.sh starts the ring.
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "dht/dht_client.h"
#include "keys/block_cipher.h"
#include "keys/invite_token.h"
#include "keys/signing_key.h"
#include "kv_workload.h"
#include "store/memory_store.h"

using namespace peerstore;

namespace {

class PeerStoreTarget final : public bench::KvTarget {
 public:
  PeerStoreTarget(DhtClient& dht, MemoryStore& store) : dht_(dht), store_(store) {}

  std::string system() const override { return "peerstore"; }
  std::string unsupported(size_t size) const override {
    return size > kMaxBlockSize ? "blocks are at most " + std::to_string(kMaxBlockSize) + " bytes"
                                : "";
  }
  bench::Bytes key_for(const bench::Bytes& value) const override {
    Id256 id = hash_block(value);
    return {id.b.begin(), id.b.end()};
  }
  void put(const bench::Item& item, std::function<void(bool)> done) override {
    dht_.put_block(id_of(item), Bytes(item.value), [this, done](Status st) {
      if (!st) note_error("put", st.error().message());
      done(bool(st));
    });
  }
  void get(const bench::Item& item, std::function<void(bool)> done) override {
    dht_.get_block(id_of(item), [this, &item, done](Result<Bytes> r) {
      if (!r) {
        note_error("get", r.error().message());
        return done(false);
      }
      bool same = *r == item.value;
      if (!same) note_error("get", "returned bytes differ from the value put");
      done(same);
    });
  }
  bool held_by_reader(const bench::Item& item) override {
    auto has = store_.contains(id_of(item));
    return has && *has;
  }
  // A put returns at 2 of 3 acks; the third copy, perhaps ours, may still be on its way to
  // the store, and held_by_reader must see it.
  void before_gets() override { std::this_thread::sleep_for(std::chrono::milliseconds(500)); }

 private:
  static Id256 id_of(const bench::Item& item) {
    Id256 id;
    std::memcpy(id.b.data(), item.key.data(), id.b.size());
    return id;
  }
  // The first few errors are shown; the failure counts are in the results either way.
  void note_error(const char* op, const std::string& what) {
    std::lock_guard lk(mu_);
    if (++errors_ <= 5) std::fprintf(stderr, "# peerstore %s failed: %s\n", op, what.c_str());
  }

  DhtClient& dht_;
  MemoryStore& store_;
  std::mutex mu_;
  size_t errors_ = 0;
};

void usage() {
  std::fprintf(stderr,
               "usage: dht_bench --join TOKEN [--listen ADDR:PORT] [--nodes N] [--settle S] "
               "[workload options]\n"
               "  --join TOKEN        an invite token of the ring to measure ('peerstore invite')\n"
               "  --listen ADDR:PORT  this node's address (default 127.0.0.1:0)\n"
               "  --nodes N           nodes in the ring before this one (default 10); waits\n"
               "                      until its successor list is as full as that allows\n"
               "  --settle S          seconds to wait after that, for fingers (default 5)\n"
               "%s",
               bench::workload_usage().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  bench::WorkloadOptions wo;
  std::vector<std::string> rest;
  if (std::string err = bench::parse_workload_options(argc, argv, wo, rest); !err.empty()) {
    std::fprintf(stderr, "dht_bench: %s\n", err.c_str());
    return 2;
  }
  DhtClientOptions dopt;
  std::string token;
  size_t nodes = 10, settle_s = 5;
  bool ok = true;
  for (size_t i = 0; i < rest.size() && ok; ++i) {
    auto next = [&]() -> std::string { return i + 1 < rest.size() ? rest[++i] : ""; };
    if (rest[i] == "--join")
      token = next();
    else if (rest[i] == "--listen")
      dopt.listen = next();
    else if (rest[i] == "--nodes")
      ok = bench::parse_number(next(), nodes);
    else if (rest[i] == "--settle")
      ok = bench::parse_number(next(), settle_s);
    else if (rest[i] == "--help" || rest[i] == "-h")
      return usage(), 0;
    else
      ok = false;
  }
  if (!ok || token.empty() || dopt.listen.empty()) {
    usage();
    return 2;
  }
  if (sodium_init() < 0) return 1;
  log::set_level(log::Level::warn);
  auto invite = InviteToken::parse(token);
  if (!invite) {
    std::fprintf(stderr, "dht_bench: %s\n", invite.error().context.c_str());
    return 2;
  }
  dopt.join = invite->address;
  SigningKey device = SigningKey::generate();
  dopt.credentials =
      std::make_shared<const PeerCredentials>(std::move(device), std::move(invite->network_secret));

  MemoryStore store;
  auto dht = DhtClient::start(store, dopt);
  if (!dht) {
    std::fprintf(stderr, "dht_bench: %s\n", dht.error().message().c_str());
    return 1;
  }
  // Successor lists hold min(r, ring size - 1) nodes once stabilization has gone round.
  size_t want = std::min<size_t>(ChordConfig{}.successors, nodes);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  msg::NodeStatus st;
  while (true) {
    st = (*dht)->status();
    if ((st.successors.size() >= want && st.predecessor) ||
        std::chrono::steady_clock::now() > until)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "# dht_bench: node %s joined through %s: %s, %zu successors%s\n",
               (*dht)->address().c_str(), dopt.join.c_str(), st.state.c_str(), st.successors.size(),
               st.predecessor ? ", has a predecessor" : ", NO predecessor");
  std::this_thread::sleep_for(std::chrono::seconds(settle_s));

  PeerStoreTarget target(**dht, store);
  size_t failures = bench::run_workload(target, wo);
  // No graceful leave: the ring is torn down right after, and handing over the replicas this
  // node holds would only add minutes.
  dht->reset();
  return failures ? 1 : 0;
}
