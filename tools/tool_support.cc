#include "tool_support.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "keys/invite_token.h"
#include "keys/network_secret.h"

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

Result<Admission> admit(const std::string& data_dir, const std::string& join) {
  if (join.empty()) {
    PS_ASSIGN(Secret secret, load_or_create_network_secret(data_dir));
    return Admission{{}, std::move(secret)};
  }
  if (InviteToken::looks_like(join)) {
    PS_ASSIGN(InviteToken token, InviteToken::parse(join));
    PS_TRY(adopt_network_secret(data_dir, token.network_secret));
    return Admission{std::move(token.address), std::move(token.network_secret)};
  }
  auto secret = load_network_secret(data_dir);
  if (!secret && secret.code() == Errc::not_found)
    return fail(Errc::not_found, "no network secret in " + data_dir +
                                     "; get an invite with 'peerstore invite' on a member and "
                                     "pass --join TOKEN");
  if (!secret) return secret.error();
  return Admission{join, std::move(*secret)};
}

PeerCredentialsPtr make_credentials(SigningKey device, Secret network_secret) {
  return std::make_shared<const PeerCredentials>(std::move(device), std::move(network_secret));
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
