// ChildProcess and run_forked: see child_process.h. Between fork and execve the child only
// makes async-signal-safe calls; everything it needs (argv, envp, resolved path) is built first.
#include "support/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

std::string resolve_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::stringstream ss(dirs);
  for (std::string dir; std::getline(ss, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;  // execve fails with ENOENT, which the parent then reports
}

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) replaced |= x.substr(0, x.find('=')) == name;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

// In a fresh child: die with the parent, drop privileges. Async-signal-safe only.
// Returns false (errno set) on failure.
bool child_setup(pid_t parent, std::optional<uid_t> uid, std::optional<gid_t> gid) {
  if (gid || uid) {
    if (setgroups(0, nullptr) != 0) return false;
  }
  if (gid && setresgid(*gid, *gid, *gid) != 0) return false;
  if (uid && setresuid(*uid, *uid, *uid) != 0) return false;
  // After the credential change: changing euid clears the parent-death signal.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return false;
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  return true;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, SpawnOptions options)
    : argv_(std::move(argv)), options_(std::move(options)) {
  if (argv_.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::string path = resolve_in_path(argv_[0]);
  std::vector<std::string> args = argv_;
  std::vector<std::string> env = merged_environment(options_.env);
  std::vector<char*> c_args = c_strings(args);
  std::vector<char*> c_env = c_strings(env);

  int err_fd = open(options_.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) throw std::system_error(errno, std::generic_category(), options_.stderr_path);
  int out_fd = err_fd;
  if (!options_.stdout_path.empty()) {
    out_fd = open(options_.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      int e = errno;
      close(err_fd);
      throw std::system_error(e, std::generic_category(), options_.stdout_path);
    }
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the child writes its errno here if it cannot exec; EOF means exec worked
  if (null_fd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    int e = errno;
    close(err_fd);
    if (out_fd != err_fd) close(out_fd);
    if (null_fd >= 0) close(null_fd);
    throw std::system_error(e, std::generic_category(), "ChildProcess: pipe");
  }

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    int e = 0;
    if (!child_setup(parent, options_.uid, options_.gid) || dup2(null_fd, 0) < 0 ||
        dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0 ||
        (!options_.cwd.empty() && chdir(options_.cwd.c_str()) != 0)) {
      e = errno;
    } else {
      // Nothing else of ours may leak into the child: an inherited fd on the mount would keep
      // it busy. CLOEXEC rather than close, so the report pipe works until execve. Best effort
      // (Linux >= 5.11); our own descriptors are O_CLOEXEC anyway.
      syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
      execve(path.c_str(), c_args.data(), c_env.data());
      e = errno;
    }
    ssize_t ignored = write(report[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  int fork_errno = errno;
  close(report[1]);
  close(null_fd);
  close(err_fd);
  if (out_fd != err_fd) close(out_fd);
  if (pid < 0) {
    close(report[0]);
    throw std::system_error(fork_errno, std::generic_category(), "ChildProcess: fork");
  }
  pid_ = pid;
  int child_errno = 0;
  ssize_t n;
  do n = read(report[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    reap_blocking();
    throw std::system_error(child_errno, std::generic_category(), "cannot start " + path);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) kill9();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : argv_(std::move(other.argv_)),
      options_(std::move(other.options_)),
      pid_(other.pid_),
      status_(other.status_) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) kill9();
    argv_ = std::move(other.argv_);
    options_ = std::move(other.options_);
    pid_ = other.pid_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int wstatus = 0;
  pid_t r = waitpid(pid_, &wstatus, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(wstatus);
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

void ChildProcess::reap_blocking() {
  int wstatus = 0;
  pid_t r;
  do r = waitpid(pid_, &wstatus, 0);
  while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? decode_status(wstatus) : -1;
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);  // not reaped yet, so the pid is still ours
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  signal(SIGTERM);
  if (auto s = wait_exit(grace)) return *s;
  return kill9();
}

int ChildProcess::kill9() {
  if (pid_ <= 0) return -1;
  if (!status_) {
    ::kill(pid_, SIGKILL);
    reap_blocking();
  }
  return *status_;
}

std::string ChildProcess::output() const {
  return slurp(options_.stderr_path);
}

std::string ChildProcess::stdout_text() const {
  return options_.stdout_path.empty() ? output() : slurp(options_.stdout_path);
}

std::string redact_invite_tokens(std::string text) {
  static constexpr std::string_view kPrefix = "peerstore-invite1-";
  for (size_t pos = text.find(kPrefix); pos != std::string::npos;
       pos = text.find(kPrefix, pos + 1)) {
    size_t start = pos + kPrefix.size(), end = start;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == '_'))
      ++end;
    text.replace(start, end - start, "(redacted)");
  }
  return text;
}

std::string ChildProcess::describe() const {
  std::string s;
  for (const auto& a : argv_) s += (s.empty() ? "" : " ") + a;
  s += " (pid " + std::to_string(pid_);
  s += status_ ? ", exit status " + std::to_string(*status_) : std::string(", running");
  s += ") said:\n" + output();
  if (!options_.stdout_path.empty()) s += "\n[stdout]\n" + stdout_text();
  return redact_invite_tokens(std::move(s));
}

int run_forked(const std::function<int()>& fn, std::optional<RunAs> run_as,
               std::chrono::milliseconds timeout) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    if (run_as) uid = run_as->uid, gid = run_as->gid;
    if (!child_setup(parent, uid, gid)) _exit(254);
    int rc = 255;
    try {
      rc = fn();
    } catch (...) {
      rc = 255;
    }
    _exit(rc & 0xff);  // _exit: no atexit handlers, no flushing of the parent's stdio buffers
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int wstatus = 0;
  for (;;) {
    pid_t r = waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) return decode_status(wstatus);
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      return decode_status(wstatus);
    }
    std::this_thread::sleep_for(2ms);
  }
}

std::vector<pid_t> pids_with_argument(const std::string& arg) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string cmdline = slurp(std::string("/proc/") + e->d_name + "/cmdline");
    size_t start = 0;
    while (start < cmdline.size()) {
      size_t nul = cmdline.find('\0', start);
      if (nul == std::string::npos) nul = cmdline.size();
      if (cmdline.compare(start, nul - start, arg) == 0) {
        out.push_back(static_cast<pid_t>(pid));
        break;
      }
      start = nul + 1;
    }
  }
  closedir(proc);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  return f.good();
}

}  // namespace peerstore::test
