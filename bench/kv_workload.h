// The workload both DHT benchmarks run (dht_bench on PeerStore, opendht_bench on OpenDHT), so
// that their figures come from the same code: per value size, sequential puts then gets
// (latency), then puts and gets with many in flight (throughput); every get is checked against
// the bytes put. Prints a markdown table on stdout and one JSON line per phase (lines that
// start with '{', for scripts). Depends on nothing of PeerStore's, so opendht_bench need not
// link it. Not thread-safe itself; targets call `done` from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

using Bytes = std::vector<uint8_t>;

// One stored item: the value and the key the target derived from it (hashed before the timed
// phase, so the hash of a 256 KiB value is not counted as DHT latency).
struct Item {
  Bytes key;
  Bytes value;
};

// What a benchmark measures. put/get start one operation and call `done(ok)` exactly once,
// from any thread; get's ok means the same bytes came back. `item` outlives the callback (the
// workload keeps the items of a phase that timed out), so callbacks may read it.
class KvTarget {
 public:
  virtual ~KvTarget() = default;
  virtual std::string system() const = 0;
  // Why values of this size cannot be stored; empty if they can.
  virtual std::string unsupported(size_t size) const = 0;
  virtual Bytes key_for(const Bytes& value) const = 0;
  virtual void put(const Item& item, std::function<void(bool)> done) = 0;
  virtual void get(const Item& item, std::function<void(bool)> done) = 0;
  // True if the reading node holds the item itself, so a get would never reach the network;
  // such items are left out of the get phases (and counted) unless --include-local.
  virtual bool held_by_reader(const Item&) { return false; }
  // Called before each phase of puts (the warmup's too).
  virtual void before_puts() {}
  // Called once the puts of a phase are done and before its gets (e.g. to let commits land).
  virtual void before_gets() {}
};

struct WorkloadOptions {
  std::vector<size_t> sizes{1024, 256 * 1024};
  size_t ops = 500;            // sequential ops per phase, values up to 64 KiB
  size_t tput_ops = 4000;      // ops per throughput phase, values up to 64 KiB
  size_t big_ops = 100;        // the same for larger values
  size_t big_tput_ops = 400;
  std::vector<size_t> inflight{64};  // one throughput phase per entry, with that many in flight
  size_t warmup = 50;          // unreported 1 KiB put+get pairs first (connections, routes)
  double phase_timeout_s = 180;  // ops still open then count as failures
  bool include_local = false;
};

// Parses the options above from argv (--sizes 1024,262144 --ops N --tput-ops N --big-ops N
// --big-tput-ops N --inflight N[,N...] --warmup N --phase-timeout S --include-local); the ones it
// does not know are left in `rest` for the caller. Returns an error text, empty on success.
std::string parse_workload_options(int argc, char** argv, WorkloadOptions& o,
                                   std::vector<std::string>& rest);
std::string workload_usage();
// A whole decimal number; false for anything else (empty, signs, trailing text).
bool parse_number(const std::string& s, size_t& out);

// Runs everything and prints the results. Returns the number of failed operations.
size_t run_workload(KvTarget& target, const WorkloadOptions& o);

}  // namespace bench
