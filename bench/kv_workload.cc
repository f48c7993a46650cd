// The shared DHT workload: phases, latency statistics, table and JSON output.
#include "kv_workload.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// Per-op outcome of a phase: -1 still open when the phase timed out, 0 failed, 1 ok.
struct PhaseRun {
  std::vector<int8_t> outcome;
  std::vector<double> lat_ms;  // successful ops only
  size_t ok = 0, failed = 0, timed_out = 0;
  double seconds = 0;
};

using StartOp = std::function<void(size_t i, std::function<void(bool)> done)>;

// Starts `count` ops with at most `inflight` open at once, from this thread; callbacks only
// record and wake it, so a target never has to accept new work from inside its own callback.
// State is shared with the callbacks so an op that answers after the timeout touches nothing
// freed.
PhaseRun run_ops(size_t count, size_t inflight, double timeout_s, const StartOp& start) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    size_t open = 0, done = 0, ok = 0, failed = 0;
    std::vector<int8_t> outcome;
    std::vector<double> lat_ms;
    Clock::time_point last;
  };
  auto s = std::make_shared<Shared>();
  s->outcome.assign(count, -1);
  s->lat_ms.reserve(count);
  const auto t0 = Clock::now();
  s->last = t0;
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(timeout_s));
  size_t issued = 0;
  for (; issued < count; ++issued) {
    {
      std::unique_lock lk(s->mu);
      if (!s->cv.wait_until(lk, deadline, [&] { return s->open < inflight; })) break;
      ++s->open;
    }
    auto began = Clock::now();
    auto once = std::make_shared<std::atomic<bool>>(false);
    start(issued, [s, began, once, i = issued](bool ok) {
      if (once->exchange(true)) return;  // a target that answers twice counts once
      auto now = Clock::now();
      std::lock_guard lk(s->mu);
      --s->open;
      ++s->done;
      s->last = now;
      s->outcome[i] = ok ? 1 : 0;
      if (ok) {
        ++s->ok;
        s->lat_ms.push_back(std::chrono::duration<double, std::milli>(now - began).count());
      } else {
        ++s->failed;
      }
      s->cv.notify_all();
    });
  }
  std::unique_lock lk(s->mu);
  s->cv.wait_until(lk, deadline, [&] { return s->done == issued; });
  PhaseRun r;
  r.outcome = s->outcome;
  r.lat_ms = s->lat_ms;
  r.ok = s->ok;
  r.failed = s->failed;
  r.timed_out = count - s->done;  // open at the deadline, or never started
  r.seconds = std::chrono::duration<double>((s->done == issued ? s->last : Clock::now()) - t0).count();
  return r;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t rank = size_t(std::ceil(p * double(v.size())));  // nearest rank
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string size_label(size_t size) {
  if (size % (1024 * 1024) == 0) return std::to_string(size / (1024 * 1024)) + " MiB";
  if (size % 1024 == 0) return std::to_string(size / 1024) + " KiB";
  return std::to_string(size) + " B";
}

std::string fmt(double v, int digits) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string json_num(double v, int digits) { return std::isnan(v) ? "null" : fmt(v, digits); }

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (uint8_t(c) >= 0x20) out += c;
  }
  return out + "\"";
}

class Reporter {
 public:
  explicit Reporter(std::string system) : system_(std::move(system)) {}

  void phase(const std::string& op, size_t size, const std::string& mode, size_t inflight,
             size_t attempted, size_t skipped, const PhaseRun& r) {
    size_t failures = r.failed + r.timed_out;
    double rate = r.seconds > 0 ? double(r.ok) / r.seconds : NAN;
    double p50 = percentile(r.lat_ms, 0.50), p99 = percentile(r.lat_ms, 0.99);
    double mean = NAN, max = NAN;
    if (!r.lat_ms.empty()) {
      double sum = 0;
      for (double x : r.lat_ms) sum += x;
      mean = sum / double(r.lat_ms.size());
      max = *std::max_element(r.lat_ms.begin(), r.lat_ms.end());
    }
    std::string load = load_average();
    std::ostringstream j;
    j << "{\"system\":" << json_str(system_) << ",\"op\":" << json_str(op)
      << ",\"size\":" << size << ",\"mode\":" << json_str(mode) << ",\"inflight\":" << inflight
      << ",\"supported\":true,\"ops\":" << attempted << ",\"ok\":" << r.ok
      << ",\"failures\":" << failures << ",\"timed_out\":" << r.timed_out
      << ",\"skipped_local\":" << skipped << ",\"seconds\":" << json_num(r.seconds, 3)
      << ",\"ops_per_s\":" << json_num(rate, 1) << ",\"p50_ms\":" << json_num(p50, 3)
      << ",\"p99_ms\":" << json_num(p99, 3) << ",\"mean_ms\":" << json_num(mean, 3)
      << ",\"max_ms\":" << json_num(max, 3) << ",\"load\":" << json_str(load) << "}";
    std::printf("%s\n", j.str().c_str());
    std::fflush(stdout);
    std::string fails = std::to_string(failures);
    if (failures > 0) fails = "**" + fails + " FAILED**";  // never let a failure blend in
    rows_.push_back("| " + op + " | " + size_label(size) + " | " + mode + " | " +
                    std::to_string(inflight) + " | " + std::to_string(attempted) +
                    (skipped ? " (" + std::to_string(skipped) + " local skipped)" : "") + " | " +
                    fails + " | " + fmt(rate, 0) + " | " + fmt(p50, 2) + " | " + fmt(p99, 2) +
                    " | " + fmt(max, 2) + " | " + load + " |");
  }

  void unsupported(const std::string& op, size_t size, const std::string& mode, size_t inflight,
                   const std::string& why) {
    std::printf("{\"system\":%s,\"op\":%s,\"size\":%zu,\"mode\":%s,\"inflight\":%zu,"
                "\"supported\":false,\"why\":%s}\n",
                json_str(system_).c_str(), json_str(op).c_str(), size, json_str(mode).c_str(),
                inflight, json_str(why).c_str());
    rows_.push_back("| " + op + " | " + size_label(size) + " | " + mode + " | " +
                    std::to_string(inflight) + " | | | not supported: " + why + " | | | | |");
  }

  void table() const {
    std::printf("\n%s: DHT put/get (latency: 1 in flight; throughput: many in flight)\n\n",
                system_.c_str());
    std::printf("| op | size | mode | in flight | ops | failures | ops/s | p50 ms | p99 ms | "
                "max ms | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (auto& r : rows_) std::printf("%s\n", r.c_str());
    std::fflush(stdout);
  }

 private:
  std::string system_;
  std::vector<std::string> rows_;
};

// Distinct random values; splitmix64 is plenty fast for 100 MiB and needs no library.
std::vector<Item> make_items(KvTarget& t, size_t n, size_t size, uint64_t& seed) {
  std::vector<Item> items(n);
  for (auto& it : items) {
    it.value.resize(size);
    for (size_t i = 0; i < size; i += 8) {
      uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      for (size_t k = 0; k < 8 && i + k < size; ++k) it.value[i + k] = uint8_t(z >> (8 * k));
    }
    it.key = t.key_for(it.value);
  }
  return items;
}

// Items to read back: those whose put succeeded and, unless asked, not held by the reader.
std::vector<const Item*> readable(KvTarget& t, const std::vector<Item>& items, const PhaseRun& put,
                                  bool include_local, size_t& skipped_local) {
  std::vector<const Item*> out;
  skipped_local = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (put.outcome[i] != 1) continue;  // already counted as a put failure
    if (!include_local && t.held_by_reader(items[i])) {
      ++skipped_local;
      continue;
    }
    out.push_back(&items[i]);
  }
  return out;
}

PhaseRun put_all(KvTarget& t, const std::vector<Item>& items, size_t inflight, double timeout) {
  return run_ops(items.size(), inflight, timeout,
                 [&](size_t i, std::function<void(bool)> done) { t.put(items[i], std::move(done)); });
}

PhaseRun get_all(KvTarget& t, const std::vector<const Item*>& items, size_t inflight,
                 double timeout) {
  return run_ops(items.size(), inflight, timeout,
                 [&](size_t i, std::function<void(bool)> done) { t.get(*items[i], std::move(done)); });
}

bool parse_size_list(const std::string& s, std::vector<size_t>& out) {
  out.clear();
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(part.c_str(), &end, 10);
    if (end == part.c_str()) return false;
    std::string unit(end);
    if (unit == "K" || unit == "k" || unit == "KiB") v *= 1024;
    else if (unit == "M" || unit == "MiB") v *= 1024 * 1024;
    else if (!unit.empty()) return false;
    if (v == 0) return false;
    out.push_back(size_t(v));
  }
  return !out.empty();
}

}  // namespace

bool parse_number(const std::string& s, size_t& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = size_t(std::strtoull(s.c_str(), nullptr, 10));
  return true;
}

std::string workload_usage() {
  return "  --sizes LIST        value sizes, e.g. 1K,256K (default 1K,256K)\n"
         "  --ops N             sequential ops per latency phase, values <= 64 KiB (500)\n"
         "  --tput-ops N        ops per throughput phase, values <= 64 KiB (4000)\n"
         "  --big-ops N         the same for larger values (100)\n"
         "  --big-tput-ops N    (400)\n"
         "  --inflight N[,N..]  ops in flight in throughput phases, one phase each (64)\n"
         "  --warmup N          unreported 1 KiB put+get pairs first (50)\n"
         "  --phase-timeout S   seconds before open ops count as failures (180)\n"
         "  --include-local     also read items the reading node holds itself\n";
}

std::string parse_workload_options(int argc, char** argv, WorkloadOptions& o,
                                   std::vector<std::string>& rest) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto number = [&](size_t& dst) -> std::string {
      const char* v = value();
      if (!v) return a + " needs a value";
      if (!parse_number(v, dst)) return a + ": not a number: " + v;
      return {};
    };
    std::string err;
    if (a == "--sizes") {
      const char* v = value();
      if (!v || !parse_size_list(v, o.sizes)) return "--sizes takes a list such as 1K,256K";
    } else if (a == "--ops") {
      err = number(o.ops);
    } else if (a == "--tput-ops") {
      err = number(o.tput_ops);
    } else if (a == "--big-ops") {
      err = number(o.big_ops);
    } else if (a == "--big-tput-ops") {
      err = number(o.big_tput_ops);
    } else if (a == "--inflight") {
      const char* v = value();
      if (!v || !parse_size_list(v, o.inflight)) return "--inflight takes a list such as 64,8";
    } else if (a == "--warmup") {
      err = number(o.warmup);
    } else if (a == "--phase-timeout") {
      size_t s = 0;
      err = number(s);
      o.phase_timeout_s = double(s);
    } else if (a == "--include-local") {
      o.include_local = true;
    } else {
      rest.push_back(a);
    }
    if (!err.empty()) return err;
  }
  return {};
}

size_t run_workload(KvTarget& t, const WorkloadOptions& o) {
  Reporter rep(t.system());
  uint64_t seed = std::random_device{}();
  seed = (seed << 32) ^ std::random_device{}();
  size_t failures = 0;

  if (o.warmup > 0) {
    auto items = make_items(t, o.warmup, 1024, seed);
    t.before_puts();
    auto put = put_all(t, items, 1, o.phase_timeout_s);
    size_t skipped = 0;
    auto got = get_all(t, readable(t, items, put, true, skipped), 1, o.phase_timeout_s);
    std::fprintf(stderr, "# %s warmup: %zu/%zu puts ok, %zu gets ok\n", t.system().c_str(),
                 put.ok, items.size(), got.ok);
    if (put.timed_out + got.timed_out > 0) {
      static std::vector<std::vector<Item>> kept;  // as below
      kept.push_back(std::move(items));
    }
  }

  for (size_t size : o.sizes) {
    bool big = size > 64 * 1024;
    size_t n_lat = big ? o.big_ops : o.ops, n_tput = big ? o.big_tput_ops : o.tput_ops;
    struct Mode {
      const char* name;
      size_t n, inflight;
    };
    std::vector<Mode> modes{{"latency", n_lat, 1}};
    for (size_t c : o.inflight) modes.push_back({"throughput", n_tput, c});
    for (Mode m : modes) {
      if (m.n == 0) continue;
      if (std::string why = t.unsupported(size); !why.empty()) {
        for (const char* op : {"put", "get"}) rep.unsupported(op, size, m.name, m.inflight, why);
        continue;
      }
      std::fprintf(stderr, "# %s %s %s: %zu puts, then gets, %zu in flight\n",
                   t.system().c_str(), size_label(size).c_str(), m.name, m.n, m.inflight);
      auto items = make_items(t, m.n, size, seed);
      t.before_puts();
      auto put = put_all(t, items, m.inflight, o.phase_timeout_s);
      rep.phase("put", size, m.name, m.inflight, items.size(), 0, put);
      failures += put.failed + put.timed_out;
      t.before_gets();
      size_t skipped = 0;
      auto to_read = readable(t, items, put, o.include_local, skipped);
      auto got = get_all(t, to_read, m.inflight, o.phase_timeout_s);
      rep.phase("get", size, m.name, m.inflight, to_read.size(), skipped, got);
      failures += got.failed + got.timed_out;
      if (put.timed_out + got.timed_out > 0) {
        // Ops still open may yet call back into a target that reads these items: keep them.
        static std::vector<std::vector<Item>> kept;
        kept.push_back(std::move(items));
      }
    }
  }
  rep.table();
  std::printf("\n%s: %zu failed operations in all\n", t.system().c_str(), failures);
  return failures;
}

}  // namespace bench
