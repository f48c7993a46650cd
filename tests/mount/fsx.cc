// Mount tests, fsx: a seeded random sequence of operations on a few files, each checked against
// an in-memory model: writes at random offsets and lengths (across the 4096-byte inline limit,
// across 64 KiB chunk boundaries, far past EOF to leave holes), reads, truncations up and down,
// hole punching, zero ranges, fallocate, mmap MAP_SHARED writes with msync, fsync, close and
// reopen. Now and then the mount is remounted (full content and size compared, cold cache), and
// once peerstorefs is killed with -9 right after an fsync of every file: the files must then be
// exactly as of that fsync. One file lives around 64 MiB (all holes below), so its chunk tree
// grows from one to two levels of pointer nodes; some reads and writes use O_DIRECT, which
// reach the file system at any offset instead of in whole pages. Needs a real mount.
//
// Env: PEERSTORE_FSX_SEED=N replays a run (every failure prints the seed and the last
// operations); PEERSTORE_FSX_OPS=N changes the number of operations.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <ostream>
#include <random>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

constexpr int kFiles = 3;
constexpr size_t kMaxSize = size_t(6) << 20;  // no operation grows a file past this
constexpr size_t kPage = 4096;
constexpr int kDefaultOps = 30000;
constexpr int kRemounts = 5;  // clean remounts spread over the run, plus one kill -9
// Where each file's modelled bytes start; everything below is a hole. 992 chunks: writes in the
// model's first MiBs cross chunk 1024, where a chunk tree needs a second level of nodes.
constexpr uint64_t kBase[kFiles] = {0, 0, uint64_t(62) << 20};

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* s = getenv(name);
  return s && *s ? strtoull(s, nullptr, 0) : fallback;
}

// Small, fast and reproducible from the seed (PCG-style LCG, high bits).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 2862933555777941757ULL + 3037000493ULL) {}
  uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t x = state_;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 32);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }  // inclusive
  bool percent(int p) { return below(100) < uint64_t(p); }

 private:
  uint64_t state_;
};

// The last operations, printed with every failure.
struct OpLog {
  uint64_t seed = 0;
  std::deque<std::string> recent;
  int count = 0;
  void add(std::string line) {
    recent.push_back("#" + std::to_string(count++) + " " + std::move(line));
    if (recent.size() > 40) recent.pop_front();
  }
};

std::ostream& operator<<(std::ostream& out, const OpLog& log) {
  out << "fsx seed " << log.seed << " (replay: PEERSTORE_FSX_SEED=" << log.seed
      << "), last operations, oldest first:";
  for (const auto& line : log.recent) out << "\n    " << line;
  return out;
}

// Unmaps on scope exit, also when a REQUIRE throws.
struct Mapping {
  void* addr = MAP_FAILED;
  size_t len = 0;
  ~Mapping() {
    if (addr != MAP_FAILED) munmap(addr, len);
  }
};

void model_zero(std::string& m, size_t off, size_t end) {
  end = std::min(end, m.size());
  if (off < end) std::fill(m.begin() + off, m.begin() + end, '\0');
}

class Fsx {
 public:
  Fsx(MountFixture& fx, uint64_t seed, OpLog& log)
      : fx_(fx), rng_(seed), log_(log), data_seed_(seed << 20) {}

  void run(int ops) {
    REQUIRE_OK(mkdir(fx_.path("fsx").c_str(), 0755));
    open_all(O_CREAT);
    for (int i = 0; i < kFiles; ++i) REQUIRE_OK(ftruncate(fd_[i].get(), off_t(kBase[i])));
    const int remount_every = std::max(ops / (kRemounts + 1), 1);
    const int crash_at = ops / 2 + remount_every / 2;
    for (int op = 1; op <= ops; ++op) {
      step();
      if (op == crash_at) {
        crash_after_fsync();
      } else if (op % remount_every == 0) {
        remount();
      }
    }
    remount();
    if (zero_range_unsupported_)
      MESSAGE("fallocate(FALLOC_FL_ZERO_RANGE) is EOPNOTSUPP on this kernel's FUSE: not tested");
    if (!direct_io_)
      MESSAGE("O_DIRECT opens fail on this mount (" << errno_name(direct_errno_)
                                                    << "): not tested");
  }

 private:
  std::string path(int i) const { return fx_.path("fsx/file" + std::to_string(i)); }

  void open_all(int extra_flags) {
    for (int i = 0; i < kFiles; ++i) {
      fd_[i] = open_or_die(path(i), O_RDWR | extra_flags, 0644);
      if (!direct_io_) continue;
      dfd_[i] = Fd(open(path(i).c_str(), O_RDWR | O_DIRECT | O_CLOEXEC));
      if (!dfd_[i].valid()) {
        direct_errno_ = errno;
        direct_io_ = false;
      }
    }
  }
  void close_all() {
    for (int i = 0; i < kFiles; ++i) {
      for (Fd* fd : {&fd_[i], &dfd_[i]}) {
        int rc = fd->close();
        int e = errno;
        REQUIRE_MESSAGE(rc == 0, "close: " << errno_name(e));
      }
    }
  }

  // `at` moved by up to `by` either way, not below 0.
  uint64_t near(uint64_t at, uint64_t by) {
    uint64_t d = rng_.below(2 * by + 1);
    return at + d >= by ? at + d - by : 0;
  }

  // An offset into the model that lands on the places the format cares about more often than
  // chance would. (For the file at 62 MiB, "the inline limit" is just another offset.)
  uint64_t pick_offset(size_t size) {
    uint64_t off;
    switch (rng_.below(10)) {
      case 0:
      case 1:  // around a chunk boundary
        off = near(rng_.below(size / kChunk + 3) * kChunk, 5);
        break;
      case 2:  // around the inline limit
        off = near(kInlineMax, 5);
        break;
      case 3:  // around EOF
        off = near(size, 10);
        break;
      case 4:  // far past EOF: leaves a hole of one or many chunks
        off = size + rng_.between(kChunk, 24 * kChunk) + rng_.below(kChunk);
        break;
      case 5:  // inside the inline range
        off = rng_.below(kInlineMax);
        break;
      default:
        off = rng_.below(size + 1);
    }
    return std::min<uint64_t>(off, kMaxSize - 1);
  }

  uint64_t pick_length(uint64_t off) {
    uint64_t len;
    switch (rng_.below(10)) {
      case 0:
      case 1:
        len = rng_.between(1, 16);
        break;
      case 2:
      case 3:
        len = near(kInlineMax, 6);
        break;
      case 4:
        len = near(kChunk, 6);
        break;
      case 5:
        len = rng_.between(1, 4) * kChunk;
        break;
      default:
        len = rng_.between(1, 200000);
    }
    return std::max<uint64_t>(std::min<uint64_t>(len, kMaxSize - off), 1);
  }

  std::string describe(int i) const {
    return "f" + std::to_string(i) + " (size " + std::to_string(kBase[i] + model_[i].size()) + ")";
  }
  static std::string range(int i, uint64_t off, uint64_t len) {
    return std::to_string(kBase[i] + off) + "+" + std::to_string(len);
  }

  void check_size(int i) {
    struct stat st {};
    int rc = fstat(fd_[i].get(), &st);
    int e = errno;
    REQUIRE_MESSAGE(rc == 0, "fstat: " << errno_name(e));
    REQUIRE_MESSAGE(
        uint64_t(st.st_size) == kBase[i] + model_[i].size(),
        "file" << i << ": st_size " << st.st_size << ", model " << kBase[i] + model_[i].size());
  }

  // Reads model bytes [off, off+len) through `fd` and compares them with the model.
  void check_range(int i, int fd, uint64_t off, uint64_t len) {
    std::string got = read_at(fd, off_t(kBase[i] + off), len);
    const std::string& m = model_[i];
    std::string_view want =
        off >= m.size() ? std::string_view() : std::string_view(m).substr(off, len);
    std::string d = diff_summary(got, want);
    REQUIRE_MESSAGE(d.empty(), "file" << i << " read of " << len << " at " << kBase[i] + off << ": "
                                      << d << " (offsets relative to the read)");
  }

  void check_whole(int i, const char* when) {
    check_size(i);
    std::string got = read_at(fd_[i].get(), off_t(kBase[i]), model_[i].size() + kChunk);
    std::string d = diff_summary(got, model_[i]);
    REQUIRE_MESSAGE(d.empty(),
                    "file" << i << " " << when << " (from offset " << kBase[i] << "): " << d);
    if (kBase[i] == 0) return;
    // Below the model: holes, also around chunk 1024 where the tree gained a level.
    const std::string zeros(kChunk, '\0');
    for (uint64_t at : {uint64_t(0), kBase[i] / 2 + 12345, kBase[i] - kChunk}) {
      std::string hole = read_at(fd_[i].get(), off_t(at), kChunk);
      d = diff_summary(hole, zeros);
      REQUIRE_MESSAGE(d.empty(), "file" << i << " " << when << ", hole at " << at << ": " << d);
    }
  }

  void require_ok(int rc, const char* what) {
    int e = errno;
    REQUIRE_MESSAGE(rc == 0, what << ": " << errno_name(e));
  }

  void step() {
    const int i = int(rng_.below(kFiles));
    const uint64_t base = kBase[i];
    std::string& m = model_[i];
    const int fd = fd_[i].get();
    const uint64_t r = rng_.below(100);
    if (r < 30 || (r < 36 && !direct_io_)) {  // write
      uint64_t off, len;
      if (rng_.percent(5)) {  // whole aligned chunks: the overwrite-without-reading path
        off = std::min<uint64_t>(rng_.below(m.size() / kChunk + 2) * kChunk, kMaxSize - kChunk);
        len = std::min<uint64_t>(rng_.between(1, 3) * kChunk, kMaxSize - off);
      } else {
        off = pick_offset(m.size());
        len = pick_length(off);
      }
      std::string data = random_bytes(len, data_seed_++);
      log_.add(describe(i) + " write " + range(i, off, len));
      write_at(fd, data, off_t(base + off));
      if (m.size() < off + len) m.resize(off + len, '\0');
      m.replace(off, len, data);
      check_size(i);
    } else if (r < 36) {  // O_DIRECT write: reaches the fs at this exact offset and length
      uint64_t off = pick_offset(m.size());
      uint64_t len = pick_length(off);
      std::string data = random_bytes(len, data_seed_++);
      log_.add(describe(i) + " O_DIRECT write " + range(i, off, len));
      write_at(dfd_[i].get(), data, off_t(base + off));
      if (m.size() < off + len) m.resize(off + len, '\0');
      m.replace(off, len, data);
      check_size(i);
    } else if (r < 50) {  // read, from the page cache or, after fadvise, from the fs
      uint64_t off = pick_offset(m.size());
      uint64_t len = rng_.between(1, 3 * kChunk);
      bool dropped = rng_.percent(30);
      log_.add(describe(i) + " read " + range(i, off, len) +
               (dropped ? " after fadvise(DONTNEED)" : ""));
      if (dropped) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      check_range(i, fd, off, len);
    } else if (r < 54) {  // O_DIRECT read: straight from the fs
      if (!direct_io_) return;
      uint64_t off = pick_offset(m.size());
      uint64_t len = rng_.between(1, 3 * kChunk);
      log_.add(describe(i) + " O_DIRECT read " + range(i, off, len));
      check_range(i, dfd_[i].get(), off, len);
    } else if (r < 61) {  // truncate, down or up
      uint64_t size;
      switch (rng_.below(6)) {
        case 0:
          size = rng_.percent(30) ? 0 : rng_.below(kInlineMax);
          break;
        case 1:
          size = near(kInlineMax, 3);
          break;
        case 2:
          size = near(rng_.below(m.size() / kChunk + 2) * kChunk, 2);
          break;
        case 3:
        case 4:
          size = rng_.below(m.size() + 1);
          break;
        default:
          size = m.size() + rng_.between(1, 16 * kChunk);
      }
      size = std::min<uint64_t>(size, kMaxSize);
      bool by_path = rng_.percent(30);
      log_.add(describe(i) + (by_path ? " truncate " : " ftruncate ") +
               std::to_string(base + size));
      require_ok(by_path ? truncate(path(i).c_str(), off_t(base + size))
                         : ftruncate(fd, off_t(base + size)),
                 by_path ? "truncate" : "ftruncate");
      m.resize(size, '\0');
      check_size(i);
    } else if (r < 66) {  // punch a hole; the size stays
      uint64_t off = pick_offset(m.size());
      uint64_t len = std::min<uint64_t>(rng_.between(1, 4 * kChunk), kMaxSize - off);
      log_.add(describe(i) + " punch-hole " + range(i, off, len));
      require_ok(
          fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(base + off), off_t(len)),
          "fallocate(PUNCH_HOLE|KEEP_SIZE)");
      model_zero(m, off, off + len);
      check_size(i);
    } else if (r < 71) {  // zero a range, keeping or growing the size
      if (zero_range_unsupported_) return;
      uint64_t off = pick_offset(m.size());
      uint64_t len = std::min<uint64_t>(rng_.between(1, 4 * kChunk), kMaxSize - off);
      bool keep = rng_.percent(50);
      log_.add(describe(i) + " zero-range" + (keep ? "(keep-size) " : " ") + range(i, off, len));
      int rc = fallocate(fd, FALLOC_FL_ZERO_RANGE | (keep ? FALLOC_FL_KEEP_SIZE : 0),
                         off_t(base + off), off_t(len));
      int e = errno;
      if (rc != 0 && e == EOPNOTSUPP && !zero_range_seen_) {
        zero_range_unsupported_ = true;  // the kernel's FUSE does not forward it
        return;
      }
      REQUIRE_MESSAGE(rc == 0, "fallocate(ZERO_RANGE): " << errno_name(e));
      zero_range_seen_ = true;
      model_zero(m, off, off + len);
      if (!keep && m.size() < off + len) m.resize(off + len, '\0');
      check_size(i);
    } else if (r < 73) {  // fallocate: only the size can change
      uint64_t off = pick_offset(m.size());
      uint64_t len = std::min<uint64_t>(rng_.between(1, 4 * kChunk), kMaxSize - off);
      bool keep = rng_.percent(30);
      log_.add(describe(i) + " fallocate" + (keep ? "(keep-size) " : " ") + range(i, off, len));
      require_ok(fallocate(fd, keep ? FALLOC_FL_KEEP_SIZE : 0, off_t(base + off), off_t(len)),
                 "fallocate");
      if (!keep && m.size() < off + len) m.resize(off + len, '\0');
      check_size(i);
    } else if (r < 80) {  // mmap MAP_SHARED write + msync, inside the file
      if (m.empty()) return;
      uint64_t off = rng_.below(m.size());
      uint64_t len = std::min<uint64_t>(rng_.between(1, 3 * kChunk), m.size() - off);
      std::string data = random_bytes(len, data_seed_++);
      log_.add(describe(i) + " mmap-write + msync " + range(i, off, len));
      Mapping map;
      uint64_t map_off = off / kPage * kPage;  // kBase is page aligned
      map.len = off + len - map_off;
      map.addr =
          mmap(nullptr, map.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(base + map_off));
      int e = errno;
      REQUIRE_MESSAGE(map.addr != MAP_FAILED, "mmap: " << errno_name(e));
      char* p = static_cast<char*>(map.addr);
      // Before it is changed, the mapping shows what read(2) would.
      std::string d =
          diff_summary(std::string_view(p, map.len), std::string_view(m).substr(map_off, map.len));
      REQUIRE_MESSAGE(d.empty(), "file" << i << " mapped at " << base + map_off << ": " << d);
      std::copy(data.begin(), data.end(), p + (off - map_off));
      require_ok(msync(map.addr, map.len, MS_SYNC), "msync");
      m.replace(off, len, data);
      check_size(i);
    } else if (r < 83) {  // fsync or fdatasync: a full commit
      bool data_only = rng_.percent(40);
      log_.add(describe(i) + (data_only ? " fdatasync" : " fsync"));
      require_ok(data_only ? fdatasync(fd) : fsync(fd), data_only ? "fdatasync" : "fsync");
    } else if (r < 88) {  // close and reopen
      log_.add(describe(i) + " close and reopen");
      require_ok(fd_[i].close(), "close");
      fd_[i] = open_or_die(path(i), O_RDWR);
      check_size(i);
    } else if (r < 92) {  // the whole file, with clean pages dropped first
      log_.add(describe(i) + " compare whole file after fadvise(DONTNEED)");
      posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      check_whole(i, "whole-file compare");
    } else {  // a read across a chunk boundary or the inline limit, where bugs like to live
      uint64_t b = rng_.percent(50) ? kInlineMax : rng_.between(1, m.size() / kChunk + 1) * kChunk;
      uint64_t off = b - rng_.between(1, 100);
      log_.add(describe(i) + " boundary read " + range(i, off, 200));
      check_range(i, fd, off, 200);
    }
  }

  void remount() {
    log_.add("remount (clean)");
    close_all();
    fx_.remount();
    open_all(0);
    for (int i = 0; i < kFiles; ++i) check_whole(i, "after remount");
  }

  // fsync every file (each fsync pushes that file's dirty pages, then commits the volume), and
  // kill -9 right away: everything in the model is then committed and must come back exactly.
  void crash_after_fsync() {
    for (int i = 0; i < kFiles; ++i) require_ok(fsync(fd_[i].get()), "fsync before the crash");
    log_.add("fsync all files, then kill -9 and mount again");
    fx_.crash();
    for (int i = 0; i < kFiles; ++i) {  // descriptors of the dead mount: close errors are moot
      fd_[i].reset();
      dfd_[i].reset();
    }
    fx_.mount();
    open_all(0);
    for (int i = 0; i < kFiles; ++i) check_whole(i, "after kill -9 right after fsync");
  }

  MountFixture& fx_;
  Rng rng_;
  OpLog& log_;
  uint64_t data_seed_;
  std::string model_[kFiles];  // the bytes from kBase[i] to EOF
  Fd fd_[kFiles];
  Fd dfd_[kFiles];  // O_DIRECT
  bool direct_io_ = true;
  int direct_errno_ = 0;
  bool zero_range_unsupported_ = false;
  bool zero_range_seen_ = false;
};

}  // namespace

TEST_CASE("fsx: random operations match a model across remounts and a kill -9 after fsync") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  OpLog log;
  log.seed = env_u64("PEERSTORE_FSX_SEED", std::random_device{}());
  const int ops = int(env_u64("PEERSTORE_FSX_OPS", kDefaultOps));
  INFO(log);  // the seed and the last operations, with any failure below
  Fsx fsx(fx, log.seed, log);
  fsx.run(ops);
}

}  // namespace peerstore::test
