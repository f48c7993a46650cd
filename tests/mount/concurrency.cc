// Mount tests, concurrency: several writers, readers, a namespace churner and a directory lister
// at once on one mount, then every file checked by hash before and after a remount; and two
// processes appending to one file with O_APPEND. With PEERSTORE_TEST_DIR the same expectations
// run on a plain directory, without the remounts.
//
// Worker threads make no doctest assertions (a REQUIRE would throw out of the thread): they
// record what went wrong in a Problems list, which the test thread reports after joining.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

// What the worker threads found wrong; thread-safe.
class Problems {
 public:
  void add(std::string what) {
    std::lock_guard lock(mu_);
    if (list_.size() < 20) list_.push_back(std::move(what));
    ++count_;
    failed_ = true;
  }
  bool any() const { return failed_; }
  // Reports each (on the test thread).
  void report() {
    std::lock_guard lock(mu_);
    for (const auto& p : list_) FAIL_CHECK(p);
    if (count_ > list_.size()) FAIL_CHECK((count_ - list_.size()) << " more problems not shown");
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_;
  size_t count_ = 0;
  std::atomic<bool> failed_{false};
};

std::string sys_error(const std::string& what) {
  return what + ": " + errno_name(errno);
}

// Full pwrite, thread-safe (no doctest). False and a problem on error.
bool pwrite_all(int fd, std::string_view data, off_t off, Problems& problems,
                const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd, data.data() + done, data.size() - done, off + off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      problems.add(sys_error(what + " at " + std::to_string(off + done)));
      return false;
    }
    done += size_t(n);
  }
  return true;
}

// The sizes a writer uses in turn: whole MiBs and odd pieces that straddle chunk boundaries.
constexpr size_t kPieces[] = {1 << 20, 65537, 4095, 1 << 20, 1000003, 1, 12345, 1 << 20, 131071};

struct WrittenFile {
  std::string path;
  std::string data;
  std::string hash;
  std::atomic<bool> complete{false};  // written and closed
};

// One reader: stats and reads back the files while they are written, and on while the
// written data is sealed and committed, until `stop`. Whatever a read returns must be the
// written data. While a file is being written, its size may be anything up to the final size
// and reads may come back short: without the writeback cache, stat can report the size the
// server already has while the kernel still clips reads at the size before the write in
// progress. Once the writer has closed the file, the size is final and reads are whole.
void reader_loop(std::vector<WrittenFile>& files, const std::atomic<bool>& stop, uint64_t seed,
                 Problems& problems, std::atomic<uint64_t>& reads) {
  std::vector<Fd> fds;
  for (auto& f : files) {
    fds.emplace_back(open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fds.back().valid()) return problems.add(sys_error("reader: open " + f.path));
  }
  uint64_t x = seed;
  auto rnd = [&x](uint64_t n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 33) % n;
  };
  std::string buf;
  bool final_round = false;
  while (!problems.any()) {
    final_round = stop.load();
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string& path = files[i].path;
      const std::string& data = files[i].data;
      const bool complete = files[i].complete.load();
      struct stat st {};
      if ((rnd(2) ? stat(path.c_str(), &st) : fstat(fds[i].get(), &st)) != 0)
        return problems.add(sys_error("reader: stat " + path));
      if (uint64_t(st.st_size) > data.size() || (complete && uint64_t(st.st_size) != data.size()))
        return problems.add(path + ": size " + std::to_string(st.st_size) +
                            (complete ? " after" : " while") + " writing " +
                            std::to_string(data.size()) + " bytes");
      if (st.st_size == 0) continue;
      // Now and then drop clean pages, so reads reach the file system (and chunks being
      // sealed), not only the page cache.
      if (rnd(4) == 0) posix_fadvise(fds[i].get(), 0, 0, POSIX_FADV_DONTNEED);
      uint64_t off = rnd(uint64_t(st.st_size));
      size_t len = std::min<uint64_t>(1 + rnd(300000), uint64_t(st.st_size) - off);
      buf.resize(len);
      size_t done = 0;
      while (done < len) {
        ssize_t n = pread(fds[i].get(), buf.data() + done, len - done, off_t(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return problems.add(sys_error("reader: pread " + path));
        if (n == 0) break;
        done += size_t(n);
      }
      reads++;
      if (complete && done != len)
        return problems.add(path + ": read of " + std::to_string(len) + " at " +
                            std::to_string(off) + " returned " + std::to_string(done) +
                            " bytes of the complete file");
      buf.resize(done);
      std::string d = diff_summary(buf, std::string_view(data).substr(off, done));
      if (!d.empty())
        return problems.add(path + ": read of " + std::to_string(len) + " at " +
                            std::to_string(off) + (complete ? " after" : " while") +
                            " writing it: " + d);
    }
    if (final_round) break;
  }
}

// The namespace churner's model of the shared directory, and every name it ever used.
struct SharedDir {
  std::string path;
  std::mutex mu;
  std::set<std::string> ever;                 // added before the name can appear
  std::map<std::string, std::string> exists;  // name -> content, once created (for the checks)
  std::set<std::string> going;                // being unlinked or renamed away right now
  std::map<std::string, uint64_t> gone_at;    // name -> `generation` when it last started to go
  uint64_t generation = 0;
  size_t peak = 0;  // most entries at once
};

// Creates small files, renames some (to new names and over existing ones) and deletes some,
// until told to stop. The number of entries swings between 100 and 1000, with names of up to
// 120 bytes: past about 500 entries the directory's leaf (48 KiB) splits into a branch while
// it is listed, and a listing takes many readdir requests.
void churn_loop(SharedDir& dir, const std::atomic<bool>& stop, Problems& problems,
                std::atomic<uint64_t>& ops) {
  uint64_t x = 12345;
  auto rnd = [&x](uint64_t n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 33) % n;
  };
  auto full = [&dir](const std::string& name) { return dir.path + "/" + name; };
  auto start_going = [&dir](const std::string& name) {
    std::lock_guard lock(dir.mu);
    dir.going.insert(name);
    dir.gone_at[name] = ++dir.generation;
  };
  std::vector<std::string> live;  // names in dir.exists, for picking
  bool growing = true;
  for (uint64_t n = 0; !stop.load() && !problems.any(); ++n) {
    if (live.size() >= 1000) growing = false;
    if (live.size() <= 100) growing = true;
    uint64_t r = rnd(100);
    if (r < (growing ? 60u : 20u)) {
      std::string name = "file-" + std::to_string(n) + "-" + std::string(rnd(120), 'n');
      std::string content = "content of " + name + std::string(rnd(300), 'x');
      {
        std::lock_guard lock(dir.mu);
        dir.ever.insert(name);
      }
      int fd = open(full(name).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0) return problems.add(sys_error("churn: create " + name));
      bool ok = pwrite_all(fd, content, 0, problems, "churn: write " + name);
      if (close(fd) != 0) return problems.add(sys_error("churn: close " + name));
      if (!ok) return;
      std::lock_guard lock(dir.mu);
      dir.exists[name] = content;
      dir.peak = std::max(dir.peak, dir.exists.size());
      live.push_back(name);
    } else if (live.empty()) {
      continue;
    } else if (r < 80) {  // rename to a new name, or over another live entry (which stays)
      size_t k = rnd(live.size());
      std::string from = live[k];
      size_t target = rnd(live.size());
      std::string to = rnd(3) == 0 && target != k
                           ? live[target]
                           : "renamed-" + std::to_string(n) + "-" + std::string(rnd(120), 'r');
      {
        std::lock_guard lock(dir.mu);
        dir.ever.insert(to);
      }
      start_going(from);
      if (rename(full(from).c_str(), full(to).c_str()) != 0)
        return problems.add(sys_error("churn: rename " + from + " to " + to));
      std::lock_guard lock(dir.mu);
      std::string content = dir.exists[from];
      dir.exists.erase(from);
      dir.going.erase(from);
      bool replaced = dir.exists.count(to) > 0;
      dir.exists[to] = content;
      live.erase(live.begin() + long(k));
      if (!replaced) live.push_back(to);
    } else {  // delete
      size_t k = rnd(live.size());
      std::string name = live[k];
      start_going(name);
      if (unlink(full(name).c_str()) != 0) return problems.add(sys_error("churn: unlink " + name));
      std::lock_guard lock(dir.mu);
      dir.exists.erase(name);
      dir.going.erase(name);
      live.erase(live.begin() + long(k));
    }
    ops++;
  }
}

// Lists the shared directory over and over. In one listing: no name twice, only names the
// churner has used, and every name that existed when the listing began and was not unlinked
// or renamed away before it ended (POSIX leaves only entries added or removed meanwhile open).
void list_loop(SharedDir& dir, const std::atomic<bool>& stop, Problems& problems,
               std::atomic<uint64_t>& listings) {
  while (!stop.load() && !problems.any()) {
    std::vector<std::string> settled;  // there before opendir, not on their way out
    uint64_t began;
    {
      std::lock_guard lock(dir.mu);
      began = dir.generation;
      for (const auto& [name, content] : dir.exists)
        if (!dir.going.count(name)) settled.push_back(name);
    }
    DIR* d = opendir(dir.path.c_str());
    if (!d) return problems.add(sys_error("lister: opendir"));
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
      errno = 0;
    }
    int e = errno;
    closedir(d);
    if (e != 0) {
      errno = e;
      return problems.add(sys_error("lister: readdir"));
    }
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end())
      return problems.add("one listing of the shared directory has " + *dup + " twice");
    std::lock_guard lock(dir.mu);
    for (const auto& name : names)
      if (!dir.ever.count(name))
        return problems.add("a listing of the shared directory has " + name +
                            ", a name never created there");
    for (const auto& name : settled) {
      auto gone = dir.gone_at.find(name);
      if (gone != dir.gone_at.end() && gone->second > began) continue;  // went meanwhile
      if (!std::binary_search(names.begin(), names.end(), name))
        return problems.add("a listing of the shared directory (" + std::to_string(names.size()) +
                            " names) misses " + name + ", which was there all along");
    }
    listings++;
  }
}

// Hashes of the written files and the shared directory's content, on the test thread.
void check_results(std::vector<WrittenFile>& files, SharedDir& dir, const std::string& when) {
  CAPTURE(when);
  for (auto& f : files) {
    uint64_t size = 0;
    CHECK_MESSAGE(hash_file(f.path, 1 << 20, &size) == f.hash, f.path << ": content differs");
    CHECK_EQ(size, f.data.size());
  }
  std::vector<std::string> want;
  for (const auto& [name, content] : dir.exists) want.push_back(name);
  std::vector<std::string> got = dir_names(dir.path);
  CHECK_MESSAGE(got == want,
                "the shared directory lists " << got.size() << " names, expected " << want.size());
  int bad = 0;
  for (const auto& [name, content] : dir.exists) {
    std::string path = dir.path + "/" + name;
    if (access(path.c_str(), F_OK) != 0) continue;  // reported above
    if (read_file(path) != content && ++bad <= 5) FAIL_CHECK(name << ": wrong content");
  }
  CHECK_EQ(bad, 0);
}

// Forks a child that runs fn and exits with its result (255 on exceptions). The child dies with
// the test process. Call only while the test process has no other threads.
pid_t fork_child(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int rc = 255;
    try {
      rc = fn();
    } catch (...) {
    }
    _exit(rc);
  }
  return pid;
}

// Waits for a child (SIGKILL after `timeout`); returns the exit code, or 128 + signal.
int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The appended records: "P<proc><seq:6><len:4>", filler, '\n'; lengths 12..4096 from a
// per-process sequence, so a reader can walk the file and know what each record must be.
constexpr size_t kRecordHeader = 12;
constexpr int kRecordsPerProc = 3000;

size_t record_length(int proc, int seq) {
  uint64_t x = uint64_t(proc + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t(seq) * 0xbf58476d1ce4e5b9ULL);
  x ^= x >> 31;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 29;
  switch (x % 8) {
    case 0:
      return 4096;  // the largest write that must stay in one piece
    case 1:
      return kRecordHeader + 1;
    default:
      return kRecordHeader + 1 + (x >> 8) % (4096 - kRecordHeader);
  }
}

std::string make_record(int proc, int seq) {
  size_t len = record_length(proc, seq);
  char head[kRecordHeader + 1];
  snprintf(head, sizeof head, "P%d%06d%04zu", proc, seq, len);
  std::string r(head, kRecordHeader);
  for (size_t i = kRecordHeader; i + 1 < len; ++i)
    r += char('a' + (proc * 131 + seq * 7 + int(i)) % 26);
  r += '\n';
  return r;
}

// Walks the appended file: every record whole, each process's records in order, none missing.
std::string check_appended(const std::string& content, int procs) {
  std::vector<int> next(procs, 0);
  size_t at = 0;
  while (at < content.size()) {
    if (content.size() - at < kRecordHeader || content[at] != 'P')
      return "no record header at offset " + std::to_string(at);
    int proc = content[at + 1] - '0';
    if (proc < 0 || proc >= procs) return "bad process digit at offset " + std::to_string(at);
    std::string rec = make_record(proc, next[proc]);
    if (content.compare(at, rec.size(), rec) != 0)
      return "at offset " + std::to_string(at) + ": expected record " + std::to_string(next[proc]) +
             " of process " + std::to_string(proc) + " (" + std::to_string(rec.size()) +
             " bytes), found [" + content.substr(at, std::min<size_t>(40, content.size() - at)) +
             "...]: a write was split or interleaved";
    at += rec.size();
    next[proc]++;
  }
  for (int p = 0; p < procs; ++p)
    if (next[p] != kRecordsPerProc)
      return "process " + std::to_string(p) + ": " + std::to_string(next[p]) + " of " +
             std::to_string(kRecordsPerProc) + " records";
  return {};
}

}  // namespace

TEST_CASE("concurrency: writers readers a renamer and a lister at once, then hashes") {
  MountFixture fx;
  if (!fx.usable()) return;
  constexpr int kWriters = 4;
  constexpr size_t kFileSize = size_t(20) << 20;
  std::vector<WrittenFile> files(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    files[i].path = fx.path("big-" + std::to_string(i));
    files[i].data = random_bytes(kFileSize, 5000 + i);
    files[i].hash = hash_hex(files[i].data);
    write_file(files[i].path, "");  // exists before the readers open it
  }
  SharedDir dir;
  dir.path = fx.path("shared");
  REQUIRE_OK(mkdir(dir.path.c_str(), 0755));

  Problems problems;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, churn_ops{0}, listings{0};
  std::vector<std::thread> writers, others;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&files, &problems, i] {
      WrittenFile& f = files[i];
      Fd fd(open(f.path.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd.valid()) return problems.add(sys_error("writer: open " + f.path));
      size_t done = 0;
      for (int k = 0; done < f.data.size() && !problems.any(); ++k) {
        size_t n = std::min(kPieces[(k + i) % std::size(kPieces)], f.data.size() - done);
        ssize_t w = write(fd.get(), f.data.data() + done, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return problems.add(sys_error("writer: write " + f.path));
        size_t before = done;
        done += size_t(w);
        // Each writer commits now and then (fsync commits the whole volume), so commits run
        // while the others write, seal and read.
        if ((before >> 22) != (done >> 22) && fdatasync(fd.get()) != 0)
          return problems.add(sys_error("writer: fdatasync " + f.path));
      }
      if (fd.close() != 0) return problems.add(sys_error("writer: close " + f.path));
      f.complete = true;
    });
  }
  for (int r = 0; r < 2; ++r)
    others.emplace_back([&, r] { reader_loop(files, stop, 77 + r, problems, reads); });
  others.emplace_back([&] { churn_loop(dir, stop, problems, churn_ops); });
  others.emplace_back([&] { list_loop(dir, stop, problems, listings); });

  for (auto& t : writers) t.join();
  auto seconds = [&started] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  double write_seconds = seconds();
  // The others go on for a while: the writers' data is still being sealed and committed, and
  // the namespace threads should get a fair number of rounds even if the writers were quick.
  while ((churn_ops < 2000 || seconds() < 2) && !problems.any() && seconds() < 20)
    std::this_thread::sleep_for(10ms);
  stop = true;
  for (auto& t : others) t.join();
  MESSAGE("concurrency: " << kWriters << " x 20 MiB written in " << write_seconds << " s; in "
                          << seconds() << " s " << reads.load() << " reads, " << churn_ops.load()
                          << " namespace operations (up to " << dir.peak << " entries), "
                          << listings.load() << " listings");
  problems.report();
  REQUIRE_FALSE(problems.any());
  CHECK_GT(reads.load(), 0u);
  CHECK_GT(listings.load(), 0u);

  check_results(files, dir, "before remount");
  if (fx.real()) fx.remount();
  check_results(files, dir, "after remount");
}

TEST_CASE("concurrency: two processes appending with O_APPEND") {
  MountFixture fx;
  if (!fx.usable()) return;
  const std::string f = fx.path("appended");
  write_file(f, "");
  // Both children wait on a pipe, so their appends really overlap.
  int go[2];
  REQUIRE_OK(pipe2(go, O_CLOEXEC));
  std::vector<pid_t> children;
  for (int proc = 0; proc < 2; ++proc) {
    children.push_back(fork_child([&f, &go, proc] {
      close(go[1]);
      char c;
      if (read(go[0], &c, 1) != 0) return 10;  // EOF is the start signal
      int fd = open(f.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      if (fd < 0) return 11;
      for (int seq = 0; seq < kRecordsPerProc; ++seq) {
        std::string rec = make_record(proc, seq);
        if (write(fd, rec.data(), rec.size()) != ssize_t(rec.size())) return 12;
      }
      return close(fd) == 0 ? 0 : 13;
    }));
    int e = errno;
    REQUIRE_MESSAGE(children.back() > 0, "fork: " << errno_name(e));
  }
  close(go[0]);
  close(go[1]);  // go
  for (pid_t pid : children) {
    int status = wait_child(pid, 60s);
    CHECK_MESSAGE(status == 0, "appending child " << pid << " exited with " << status
                                                  << " (10-13: start, open, write, close)");
  }
  size_t expected = 0;
  for (int proc = 0; proc < 2; ++proc)
    for (int seq = 0; seq < kRecordsPerProc; ++seq) expected += record_length(proc, seq);

  for (std::string when : {"before remount", "after remount"}) {
    CAPTURE(when);
    std::string content = read_file(f);
    CHECK_EQ(content.size(), expected);
    CHECK_EQ(stat_of(f).st_size, off_t(expected));
    std::string problem = check_appended(content, 2);
    CHECK_MESSAGE(problem.empty(), problem);
    if (when == "before remount" && fx.real()) fx.remount();
  }
}

}  // namespace peerstore::test
