// FuseLoop (src/fs/fuse_loop.h) serving a small in-process file system, mounted for real: a root
// with a file "data" whose bytes are a function of their offset, and a name "slow" whose lookup
// waits until the test lets it go. Proves that the loop serves small and large reads right from
// several threads, that a request which blocks while the leader serves it does not hold up the
// others (the watchdog's rescue), and that unmount and fuse_session_exit() end run().
#include "fs/fuse_loop.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr fuse_ino_t kData = 2, kSlow = 3;
constexpr size_t kDataSize = 4 << 20;

uint8_t byte_at(uint64_t off) {
  return uint8_t((off * 2654435761u) >> 13);
}

struct Gate {  // the lookup of "slow" waits here
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, open = false;
};

struct TestFs {
  Gate gate;
  std::atomic<int> reads{0};
};

TestFs& fs_of(fuse_req_t req) {
  return *static_cast<TestFs*>(fuse_req_userdata(req));
}

struct stat attr_of(fuse_ino_t ino) {
  struct stat st {};
  st.st_ino = ino;
  st.st_nlink = 1;
  if (ino == FUSE_ROOT_ID) {
    st.st_mode = S_IFDIR | 0755;
    st.st_nlink = 2;
  } else {
    st.st_mode = S_IFREG | 0644;
    st.st_size = ino == kData ? off_t(kDataSize) : 0;
  }
  return st;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_ino_t ino = 0;
  if (parent == FUSE_ROOT_ID && std::strcmp(name, "data") == 0) ino = kData;
  if (parent == FUSE_ROOT_ID && std::strcmp(name, "slow") == 0) {
    Gate& g = fs_of(req).gate;
    std::unique_lock lk(g.m);
    g.entered = true;
    g.cv.notify_all();
    g.cv.wait(lk, [&] { return g.open; });
    ino = kSlow;
  }
  if (ino == 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param e{};
  e.ino = ino;
  e.attr = attr_of(ino);
  fuse_reply_entry(req, &e);  // timeouts 0: every stat asks again
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st = attr_of(ino);
  fuse_reply_attr(req, &st, 0);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ino != kData) {
    fuse_reply_err(req, EACCES);
    return;
  }
  fi->direct_io = 1;  // every read reaches the loop, at the size asked
  fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info*) {
  fs_of(req).reads++;
  size_t n = off >= off_t(kDataSize) ? 0 : std::min(size, kDataSize - size_t(off));
  std::vector<char> out(n);
  for (size_t i = 0; i < n; i++) out[i] = char(byte_at(uint64_t(off) + i));
  fuse_reply_buf(req, out.data(), n);
}

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops o{};
  o.lookup = op_lookup;
  o.getattr = op_getattr;
  o.open = op_open;
  o.read = op_read;
  return o;
}

// A mount of TestFs served by a FuseLoop on its own thread; unmounted whatever the test did.
class LoopMount {
 public:
  // `signals`: libfuse's handlers for SIGINT, SIGTERM and SIGHUP, as peerstorefs has.
  explicit LoopMount(bool signals = false) {
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (getenv("CI"))
        FAIL_CHECK("FUSE is unusable and CI is set, so this is a failure: /dev/fuse: "
                   << std::strerror(errno));
      else
        MESSAGE("SKIPPED (set CI to make this a failure): /dev/fuse: " << std::strerror(errno));
      return;
    }
    close(fd);
    char tmpl[] = "/tmp/peerstore-loop-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    static const fuse_lowlevel_ops ops = make_ops();
    char arg0[] = "fuse_loop_test", o[] = "-o", opts[] = "fsname=fuse_loop_test";
    char* argv[] = {arg0, o, opts};
    fuse_args args = FUSE_ARGS_INIT(3, argv);
    se_ = fuse_session_new(&args, &ops, sizeof ops, &fs_);
    REQUIRE(se_ != nullptr);
    REQUIRE(fuse_session_mount(se_, dir_.c_str()) == 0);
    if (signals) REQUIRE(fuse_set_signal_handlers(se_) == 0);
    signals_ = signals;
    ran_ = std::async(std::launch::async, [this] {
      FuseLoop loop(se_, {.max_threads = 4, .spin = 100us, .rescue = 1000us});
      return loop.run();
    });
  }
  ~LoopMount() {
    if (se_) umount2(dir_.c_str(), MNT_DETACH);  // ends run() if still running
    if (ran_.valid()) ran_.wait();
    if (signals_) fuse_remove_signal_handlers(se_);
    if (se_) fuse_session_unmount(se_);
    if (se_) fuse_session_destroy(se_);
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  bool usable() const { return se_ != nullptr; }
  std::string path(const char* name) const { return dir_ + "/" + name; }
  TestFs& fs() { return fs_; }
  fuse_session* session() { return se_; }
  // Unmounts as `fusermount3 -u` would (fuse_session_unmount would close the device under the
  // loop); run()'s result, or nothing if it did not return within `limit`.
  std::optional<int> unmount(std::chrono::milliseconds limit = 10s) {
    REQUIRE(umount2(dir_.c_str(), MNT_DETACH) == 0);
    return finished(limit);
  }
  std::optional<int> finished(std::chrono::milliseconds limit) {
    if (ran_.wait_for(limit) != std::future_status::ready) return std::nullopt;
    return ran_.get();
  }

 private:
  TestFs fs_;
  std::string dir_;
  fuse_session* se_ = nullptr;
  bool signals_ = false;
  std::future<int> ran_;
};

// Reads `n` bytes at `off` of the file and checks them; "" or what was wrong.
std::string check_read(int fd, uint64_t off, size_t n) {
  std::vector<char> buf(n);
  ssize_t got = pread(fd, buf.data(), n, off_t(off));
  if (got != ssize_t(n)) return "pread returned " + std::to_string(got);
  for (size_t i = 0; i < n; i++)
    if (uint8_t(buf[i]) != byte_at(off + i)) return "wrong byte at " + std::to_string(off + i);
  return "";
}

TEST_CASE("FuseLoop: small and large reads from several threads return the right bytes") {
  LoopMount m;
  if (!m.usable()) return;
  std::vector<std::future<std::string>> readers;
  for (int t = 0; t < 4; t++) {
    readers.push_back(std::async(std::launch::async, [&, t]() -> std::string {
      int fd = open(m.path("data").c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return std::string("open: ") + std::strerror(errno);
      std::mt19937_64 rng{uint64_t(t)};
      std::string bad;
      for (int i = 0; i < 500 && bad.empty(); i++) {
        // 4 KiB reads (quick: the leader serves them and spins), and 256 KiB ones (handed over).
        size_t n = i % 10 == 9 ? 256 << 10 : 4 << 10;
        bad = check_read(fd, rng() % (kDataSize - n), n);
      }
      close(fd);
      return bad;
    }));
  }
  for (auto& r : readers) CHECK(r.get() == "");
  CHECK(m.fs().reads.load() >= 2000);
  auto rc = m.unmount();
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
}

TEST_CASE("FuseLoop: a request that blocks while the leader serves it does not hold up others") {
  LoopMount m;
  if (!m.usable()) return;
  Gate& g = m.fs().gate;
  int fd = open(m.path("data").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  // A lookup is quick: the leader serves it itself, and this one waits for the gate.
  auto slow = std::async(std::launch::async, [&] {
    struct stat st;
    return stat(m.path("slow").c_str(), &st);
  });
  {
    std::unique_lock lk(g.m);
    REQUIRE(g.cv.wait_for(lk, 10s, [&] { return g.entered; }));
  }
  // Without the watchdog's rescue nobody would read the device until the gate opens. (Reads of
  // a file open already: the kernel holds lookups in the directory while one is out.)
  auto fast = std::async(std::launch::async, [&] {
    std::string bad;
    for (int i = 0; i < 50 && bad.empty(); i++) bad = check_read(fd, uint64_t(i) << 12, 4096);
    return bad;
  });
  bool served = fast.wait_for(10s) == std::future_status::ready;
  {
    std::lock_guard lk(g.m);
    g.open = true;
  }
  g.cv.notify_all();
  CHECK(served);
  if (served) CHECK(fast.get() == "");
  CHECK(slow.get() == 0);
  close(fd);
  auto rc = m.unmount();
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
}

TEST_CASE("FuseLoop: a signal that ends the session wakes the leader at once") {
  LoopMount m(/*signals=*/true);
  if (!m.usable()) return;
  struct stat st;
  REQUIRE(stat(m.path("data").c_str(), &st) == 0);
  std::this_thread::sleep_for(50ms);  // the leader is asleep in poll(), its timeout 1 s
  auto sent = std::chrono::steady_clock::now();
  REQUIRE(kill(getpid(), SIGHUP) == 0);  // to whichever thread: libfuse's handler, then ours
  auto rc = m.finished(5s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  CHECK(std::chrono::steady_clock::now() - sent < 500ms);
}

TEST_CASE("FuseLoop: two loops in one process serve and end on their own") {
  LoopMount a(/*signals=*/false), b(/*signals=*/false);
  if (!a.usable() || !b.usable()) return;
  for (LoopMount* m : {&a, &b}) {
    int fd = open(m->path("data").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    for (int i = 0; i < 20; i++) CHECK(check_read(fd, uint64_t(i) * 12345, 4096) == "");
    close(fd);
  }
  auto ra = a.unmount();
  REQUIRE(ra.has_value());
  CHECK(*ra == 0);
  struct stat st;
  CHECK(stat(b.path("data").c_str(), &st) == 0);  // b still serves
  auto rb = b.unmount();
  REQUIRE(rb.has_value());
  CHECK(*rb == 0);
}

TEST_CASE("FuseLoop: fuse_session_exit ends run() while idle") {
  LoopMount m;
  if (!m.usable()) return;
  struct stat st;
  REQUIRE(stat(m.path("data").c_str(), &st) == 0);
  std::this_thread::sleep_for(50ms);  // the leader is asleep in poll()
  fuse_session_exit(m.session());
  auto rc = m.finished(5s);  // poll's timeout is 1 s
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
}

}  // namespace
}  // namespace peerstore::test
