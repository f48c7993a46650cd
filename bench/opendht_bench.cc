// opendht_bench: the DHT workload of bench/kv_workload.h on OpenDHT (2.4, dht::DhtRunner), so
// bench/dht_bench.sh can set PeerStore's figures beside it in one run. Nodes of its own join a
// running dhtnode cluster: a writer puts a Value of the item's bytes under InfoHash::get(bytes)
// (SHA-1), and a reader gets it back and compares the bytes.
// - Reader and writer are two nodes because OpenDHT keeps a copy of everything a node puts and
//   answers that node's gets from it. The reader also refuses to store values for others, so
//   none of its gets can be answered without the network (its store size is printed after
//   each phase to show that held).
// - Every phase gets a fresh writer and reader: a DhtRunner keeps a search per key it put, and
//   its put rate falls as they pile up (measured on this machine with one writer through three
//   successive phases of 4000 puts, 8 in flight: 280, 117, then 31 puts/s, while a new process
//   on the same cluster started again at 280). Fresh nodes first do a few unmeasured puts and
//   gets, since the first operations of a new node wait for timeouts while it learns the
//   cluster (a p99 of 1.1 s otherwise). So OpenDHT is measured at its best.
// Sizes above dht::MAX_VALUE_SIZE (64 KiB) are reported as not supported.
#include <opendht.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "kv_workload.h"

namespace {

struct Cluster {
  std::string host, port;
  size_t network = 0, nodes = 10;
};

std::unique_ptr<dht::DhtRunner> start_node(const Cluster& c) {
  auto r = std::make_unique<dht::DhtRunner>();
  dht::DhtRunner::Config cfg;
  cfg.dht_config.node_config.network = dht::NetId(c.network);
  cfg.threaded = true;
  r->run(0, cfg);
  r->bootstrap(c.host, c.port);
  return r;
}

// Kademlia learns nodes as it talks to them (the warmup does the rest), so this waits until
// every node given knows a full bucket's worth of the cluster, or 15 s.
void wait_until_known(const std::vector<dht::DhtRunner*>& runners, size_t nodes) {
  size_t want = std::min<size_t>(nodes, 8);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto least = [&] {
    unsigned n = ~0u;
    for (auto* r : runners) n = std::min(n, r->getNodesStats(AF_INET).good_nodes);
    return n;
  };
  while (std::chrono::steady_clock::now() < until && least() < want)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

class OpenDhtTarget final : public bench::KvTarget {
 public:
  OpenDhtTarget(Cluster cluster, size_t warm_ops) : cluster_(std::move(cluster)), warm_(warm_ops) {}
  ~OpenDhtTarget() override { retire(); }

  std::string system() const override { return "opendht"; }
  std::string unsupported(size_t size) const override {
    return size > dht::MAX_VALUE_SIZE
               ? "values are at most " + std::to_string(dht::MAX_VALUE_SIZE / 1024) + " KiB"
               : "";
  }
  bench::Bytes key_for(const bench::Bytes& value) const override {
    auto h = dht::InfoHash::get(value);
    return {h.begin(), h.end()};
  }
  // The last phase's gets are done, so its nodes (and their local copies) can go.
  void before_puts() override {
    retire();
    writer_ = start_node(cluster_);
    reader_ = start_node(cluster_);
    reader_->setStorageLimit(1);  // stores nothing for others (see the header comment)
    wait_until_known({writer_.get(), reader_.get()}, cluster_.nodes);
    size_t ok = 0;
    for (size_t i = 0; i < warm_; ++i) {
      auto value = std::make_shared<dht::Value>(dht::Blob(1024, uint8_t(i)));
      auto key = dht::InfoHash::getRandom();
      auto put = std::make_shared<std::promise<bool>>();
      writer_->put(key, value, [put](bool done) { put->set_value(done); });
      auto f = put->get_future();
      if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready || !f.get()) continue;
      auto got = std::make_shared<std::promise<void>>();
      reader_->get(key, [](const std::shared_ptr<dht::Value>&) { return false; },
                   [got](bool) { got->set_value(); });
      if (got->get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready) ++ok;
    }
    std::fprintf(stderr, "# opendht_bench: new writer and reader (%u and %u good nodes known), "
                 "%zu/%zu warm-up put+get pairs done\n",
                 writer_->getNodesStats(AF_INET).good_nodes,
                 reader_->getNodesStats(AF_INET).good_nodes, ok, warm_);
  }
  void put(const bench::Item& item, std::function<void(bool)> done) override {
    writer_->put(hash_of(item), dht::Value(item.value), [this, done](bool ok) {
      if (!ok) note_error("put", "the put reached no node");
      done(ok);
    });
  }
  void get(const bench::Item& item, std::function<void(bool)> done) override {
    auto found = std::make_shared<std::atomic<bool>>(false);
    reader_->get(
        hash_of(item),
        [&item, found, done](const std::vector<std::shared_ptr<dht::Value>>& values) {
          for (auto& v : values) {
            if (v && v->data == item.value) {
              found->store(true);
              done(true);
              return false;  // stop the search: we have what we came for
            }
          }
          return true;
        },
        [this, found, done](bool ok) {
          if (found->load()) return;
          note_error("get", ok ? "the search ended without the value" : "the search failed");
          done(false);
        });
  }

 private:
  static dht::InfoHash hash_of(const bench::Item& item) {
    return dht::InfoHash(item.key.data(), item.key.size());
  }
  void note_error(const char* op, const std::string& what) {
    std::lock_guard lk(mu_);
    if (++errors_ <= 5) std::fprintf(stderr, "# opendht %s failed: %s\n", op, what.c_str());
  }
  void retire() {
    if (reader_) {
      auto [keys, bytes] = reader_->getStoreSize();
      if (keys) std::fprintf(stderr, "# opendht_bench: the reader held %zu values (%zu bytes): "
                             "some gets may have been answered locally\n", keys, bytes);
      reader_->join();
    }
    if (writer_) writer_->join();
  }

  Cluster cluster_;
  size_t warm_;
  std::unique_ptr<dht::DhtRunner> writer_, reader_;
  std::mutex mu_;
  size_t errors_ = 0;
};

void usage() {
  std::fprintf(stderr,
               "usage: opendht_bench --bootstrap HOST:PORT [--network ID] [--nodes N] "
               "[--settle S] [workload options]\n"
               "  --bootstrap HOST:PORT  a dhtnode of the cluster (UDP)\n"
               "  --network ID           OpenDHT network id the cluster runs with (dhtnode -n; 0)\n"
               "  --nodes N              nodes in the cluster (default 10); a new node waits\n"
               "                         until it knows min(N, 8) of them, or 15 s\n"
               "  --settle S             seconds to wait before the first phase (default 5)\n"
               "  --node-warmup N        unmeasured put+get pairs of each new node pair (20)\n"
               "%s",
               bench::workload_usage().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  bench::WorkloadOptions wo;
  std::vector<std::string> rest;
  if (std::string err = bench::parse_workload_options(argc, argv, wo, rest); !err.empty()) {
    std::fprintf(stderr, "opendht_bench: %s\n", err.c_str());
    return 2;
  }
  Cluster cluster;
  std::string bootstrap;
  size_t settle_s = 5, node_warmup = 20;
  bool ok = true;
  for (size_t i = 0; i < rest.size() && ok; ++i) {
    auto next = [&]() -> std::string { return i + 1 < rest.size() ? rest[++i] : ""; };
    if (rest[i] == "--bootstrap") bootstrap = next();
    else if (rest[i] == "--network") ok = bench::parse_number(next(), cluster.network);
    else if (rest[i] == "--nodes") ok = bench::parse_number(next(), cluster.nodes);
    else if (rest[i] == "--settle") ok = bench::parse_number(next(), settle_s);
    else if (rest[i] == "--node-warmup") ok = bench::parse_number(next(), node_warmup);
    else if (rest[i] == "--help" || rest[i] == "-h") return usage(), 0;
    else ok = false;
  }
  size_t colon = bootstrap.rfind(':');
  if (!ok || colon == std::string::npos) {
    usage();
    return 2;
  }
  cluster.host = bootstrap.substr(0, colon);
  cluster.port = bootstrap.substr(colon + 1);

  // The first phase's nodes join just before it; this only lets the cluster settle.
  std::this_thread::sleep_for(std::chrono::seconds(settle_s));
  OpenDhtTarget target(cluster, node_warmup);
  size_t failures = bench::run_workload(target, wo);
  return failures ? 1 : 0;
}
