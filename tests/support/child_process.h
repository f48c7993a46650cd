// ChildProcess: one spawned program (fork + execve) whose stdout/stderr go to files, so a test
// can show what a failing daemon said. The child gets PR_SET_PDEATHSIG(SIGKILL), so nothing
// outlives a crashed test run; the destructor kills and reaps. Also run_forked(), which runs a
// function in a forked child (e.g. as another uid, or as a second lock holder).
// Not thread-safe: one owner thread, which must be the thread that spawned it (PDEATHSIG fires
// when the spawning *thread* exits).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace peerstore::test {

struct SpawnOptions {
  std::string stderr_path;   // required; created or truncated
  std::string stdout_path;   // empty: stdout goes to stderr_path as well (one interleaved log)
  std::optional<uid_t> uid;  // run as this uid/gid (setgroups({}), setresgid, setresuid)
  std::optional<gid_t> gid;
  std::vector<std::string> env;  // "NAME=VALUE" entries added to (or replacing in) our environ
  std::string cwd;               // run in this directory (empty: ours)
};

class ChildProcess {
 public:
  // argv[0] without a '/' is looked up in PATH. Throws std::system_error if the program cannot
  // be started (fork, open of the capture files, or execve failed: the child reports errno).
  ChildProcess(std::vector<std::string> argv, SpawnOptions options);
  ~ChildProcess();  // SIGKILL if still running, then reap
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the process has not been reaped and waitpid(WNOHANG) does not report an exit.
  bool running();
  // Waits up to `timeout` for the exit. The status is the exit code if it exited, or 128 + the
  // signal number if a signal killed it (the shell's convention). nullopt: still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The status once reaped, nullopt before.
  std::optional<int> exit_status() const { return status_; }
  void signal(int sig);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status.
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL and reap. Returns the exit status (137 unless it had already exited).
  int kill9();

  std::string output() const;       // what the child wrote to stderr (and stdout if merged)
  std::string stdout_text() const;  // stdout if captured separately, else the same as output()
  // "ARGV... (pid N, exit 1) said:\n<output>", for failure messages.
  std::string describe() const;

 private:
  void reap_blocking();
  std::vector<std::string> argv_;
  SpawnOptions options_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs fn in a forked child and returns its result (0..255) as the child's exit code, or
// 128 + signal. The child never returns into the caller's code: no test-framework calls may be
// made from fn, and exceptions in fn become exit code 255. With run_as set, the child drops to
// that uid/gid first (setgroups({}), setresgid, setresuid). Kills the child after `timeout`
// (exit status then 128 + SIGKILL).
struct RunAs {
  uid_t uid;
  gid_t gid;
};
// `text` with the secret part of every invite token replaced: a token is the network secret, and
// test output must not carry one.
std::string redact_invite_tokens(std::string text);

int run_forked(const std::function<int()>& fn, std::optional<RunAs> run_as = std::nullopt,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Pids of processes whose command line has an argument equal to `arg` (scans /proc). Lets a
// test find a daemon it started indirectly (peerstorefs without -f forks) by its unique
// mountpoint, to end exactly that process.
std::vector<pid_t> pids_with_argument(const std::string& arg);

// Reads a whole file; empty string if it cannot be opened.
std::string slurp(const std::string& path);
// Replaces a file's content (open, write, close); false if any step failed.
bool write_text(const std::string& path, const std::string& text);

}  // namespace peerstore::test
