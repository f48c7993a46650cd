// Wiring helpers the PeerStore binaries share: default directories, the user-facing form of an
// error, the node address file that lets `peerstore status --data DIR` find a running node,
// admission to a network (what `--join` means), and signal masks for helper threads.
// Stateless; thread-safe.
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"
#include "dht/peer_credentials.h"

namespace peerstore::tool {

// $XDG_xxx/peerstore, or ~/<home_suffix>.
std::string default_dir(const char* xdg_var, const char* home_suffix);
inline std::string default_data_dir() {
  return default_dir("XDG_DATA_HOME", "/.local/share/peerstore");
}
inline std::string default_config_dir() {
  return default_dir("XDG_CONFIG_HOME", "/.config/peerstore");
}

// Contexts of start-up errors are written as sentences for people.
std::string user_message(const Error& e);

// DATA/node.addr holds the address of the node running on DATA while it runs.
Status write_node_address(const std::string& data_dir, const std::string& address);
void remove_node_address(const std::string& data_dir);
Result<std::string> read_node_address(const std::string& data_dir);

// What a starting node joins (empty: it starts a new ring) and the network secret it proves.
struct Admission {
  std::string join;
  Secret network_secret;
};
// `--join` as given: empty starts a ring (DATA/network.key loaded or created); an invite token
// is adopted into DATA and its address joined; HOST:PORT is joined with the secret already in
// DATA (without one: an error that says how to get an invite).
Result<Admission> admit(const std::string& data_dir, const std::string& join);
PeerCredentialsPtr make_credentials(SigningKey device, Secret network_secret);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread while alive, so threads started
// meanwhile inherit the mask and those signals reach the thread that waits for them.
class SignalBlock {
 public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
};

// Waits (blocking those signals first) until SIGINT, SIGTERM or SIGHUP arrives; returns it.
int wait_for_stop_signal();

}  // namespace peerstore::tool
