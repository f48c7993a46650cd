#include "tool_support.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace peerstore::tool {
namespace {

sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGHUP);
  return s;
}

}  // namespace

std::string default_dir(const char* xdg_var, const char* home_suffix) {
  if (const char* x = std::getenv(xdg_var); x && *x) return std::string(x) + "/peerstore";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + home_suffix;
}

std::string user_message(const Error& e) {
  return e.context.empty() ? e.message() : e.context;
}

Status write_node_address(const std::string& data_dir, const std::string& address) {
  // Written whole under a temporary name and renamed, so a reader never sees half of it.
  std::string path = data_dir + "/node.addr", tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << address << "\n";
    if (!f.flush()) return fail(Errc::io, "cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(Errc::io, "cannot write " + path);
  return {};
}

void remove_node_address(const std::string& data_dir) {
  ::unlink((data_dir + "/node.addr").c_str());
}

Result<std::string> read_node_address(const std::string& data_dir) {
  std::ifstream f(data_dir + "/node.addr");
  std::string addr;
  if (!f || !std::getline(f, addr) || addr.empty() || addr.size() > 255)
    return fail(Errc::not_found, "no node is running on " + data_dir +
                                     "; start peerstorefs or peerstore-node with --data " +
                                     data_dir + ", or give --node HOST:PORT");
  return addr;
}

SignalBlock::SignalBlock() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

SignalBlock::~SignalBlock() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

int wait_for_stop_signal() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  int sig = 0;
  while (sigwait(&s, &sig) != 0) {
  }
  return sig;
}

}  // namespace peerstore::tool
