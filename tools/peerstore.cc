// peerstore: works with a PeerStore network without a mount: `status` asks a running node (found
// through its data directory or given by address) for its ring and replication state; `invite`
// prints a token that admits another device; `passwd` sets, changes or removes the passphrase of
// the user key. Wiring only.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "dht/status_query.h"
#include "keys/identity.h"
#include "keys/invite_token.h"
#include "keys/key_file.h"
#include "keys/network_secret.h"
#include "keys/passphrase.h"
#include "tool_support.h"

using namespace peerstore;

namespace {

std::string node_str(const NodeRef& n) {
  return n.id.hex() + "@" + n.addr;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (uint8_t(c) < 0x20) continue;  // addresses never hold control characters; drop them
    out += c;
  }
  return out + "\"";
}

void print_json(const msg::NodeStatus& s) {
  std::string succ;
  for (auto& n : s.successors) succ += (succ.empty() ? "" : ",") + json_string(node_str(n));
  std::printf(
      "{\"id\":\"%s\",\"address\":%s,\"state\":%s,\"predecessor\":%s,\"successors\":[%s],"
      "\"blocks\":%llu,\"head_sets\":%llu,\"below_target\":%llu,\"pending_uploads\":%llu,"
      "\"uptime_ms\":%llu}\n",
      s.self.id.hex().c_str(), json_string(s.self.addr).c_str(), json_string(s.state).c_str(),
      s.predecessor ? json_string(node_str(*s.predecessor)).c_str() : "null", succ.c_str(),
      (unsigned long long)s.blocks, (unsigned long long)s.head_sets,
      (unsigned long long)s.below_target, (unsigned long long)s.pending_uploads,
      (unsigned long long)s.uptime_ms);
}

void print_text(const msg::NodeStatus& s) {
  uint64_t secs = s.uptime_ms / 1000;
  std::printf("node             %s\n", s.self.id.hex().c_str());
  std::printf("address          %s (%s, up %lluh%02llum%02llus)\n", s.self.addr.c_str(),
              s.state.c_str(), (unsigned long long)(secs / 3600),
              (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
  std::printf("predecessor      %s\n", s.predecessor ? s.predecessor->str().c_str() : "(none yet)");
  for (size_t i = 0; i < s.successors.size(); ++i)
    std::printf("%s %s\n", i == 0 ? "successors      " : "                ",
                s.successors[i].str().c_str());
  std::printf("keys held        %llu blocks, %llu head sets\n", (unsigned long long)s.blocks,
              (unsigned long long)s.head_sets);
  // The ring's size as this node sees it: itself and its distinct successors.
  bool small_ring = s.successors.size() + 1 < 3;
  std::printf("below target     %llu%s\n", (unsigned long long)s.below_target,
              !s.below_target ? ""
              : small_ring    ? " (the ring has fewer nodes than copies of each key)"
                              : " (repair is under way)");
  std::printf("pending uploads  %llu\n", (unsigned long long)s.pending_uploads);
}

Result<int> status(const std::string& data, std::string node, bool json) {
  if (node.empty()) {
    PS_ASSIGN(node, tool::read_node_address(data));
  }
  // A status query joins nothing, so it proves a key of its own rather than the node's; the
  // network secret is what admits it.
  auto secret = load_network_secret(data);
  if (!secret && secret.code() == Errc::not_found)
    return fail(Errc::not_found, "no network secret in " + data +
                                     "; give --data DIR of a member of the node's network");
  if (!secret) return secret.error();
  auto creds = tool::make_credentials(SigningKey::generate(), std::move(*secret));
  PS_ASSIGN(auto s, query_status(node, std::move(creds), std::chrono::seconds(5)));
  json ? print_json(s) : print_text(s);
  return 0;
}

Result<int> invite(const std::string& data, std::string address) {
  auto secret = load_network_secret(data);
  if (!secret && secret.code() == Errc::not_found)
    return fail(Errc::not_found, "no network secret in " + data +
                                     "; start the node first (peerstorefs or peerstore-node "
                                     "with --data " +
                                     data + ")");
  if (!secret) return secret.error();
  if (address.empty()) {
    auto running = tool::read_node_address(data);
    if (!running)
      return fail(Errc::not_found, "no node is running on " + data +
                                       "; start it, or give --address HOST:PORT of a member");
    address = *running;
  }
  PS_ASSIGN(std::string token, InviteToken::format(address, *secret));
  if (address.starts_with("127.") || address.starts_with("localhost:") ||
      address.starts_with("[::1]:"))
    std::fprintf(stderr,
                 "peerstore: note: %s is reachable from this computer only; for another "
                 "computer, give --address HOST:PORT of a member it can reach\n",
                 address.c_str());
  std::printf("%s\n", token.c_str());
  return 0;
}

Result<int> passwd(const std::string& config, bool remove) {
  std::string path = Identity::user_key_path(config);
  auto key = unlock_key_file(path, "user", passphrase_for_key("user", path));
  if (!key && key.code() == Errc::not_found)
    return fail(Errc::not_found, "no user key at " + path +
                                     "; mount PeerStore once to create it, or give --config DIR");
  if (!key) return key.error();
  if (remove) {
    if (!key->wrapped) {
      std::fprintf(stderr, "peerstore: %s has no passphrase; nothing to remove\n", path.c_str());
      return 0;
    }
    PS_TRY(replace_key_file(path, "user", key->seed, Secret()));
    std::fprintf(stderr, "peerstore: removed the passphrase of %s\n", path.c_str());
    return 0;
  }
  PS_ASSIGN(Secret fresh, new_passphrase_for_key(path));
  PS_TRY(replace_key_file(path, "user", key->seed, fresh));
  std::fprintf(stderr, "peerstore: %s is now protected by the new passphrase\n", path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peerstore: work with a PeerStore network"};
  app.require_subcommand(1);
  std::string data, node, address, config;
  bool json = false, remove = false;

  auto* st = app.add_subcommand("status", "Show a node's ring and replication state");
  st->add_option("--data", data,
                 "Data directory of a node running here (with --node: of a member of the same "
                 "network, for its network secret)");
  st->add_option("--node", node, "HOST:PORT of a node");
  st->add_flag("--json", json, "One line of JSON");

  auto* inv = app.add_subcommand(
      "invite",
      "Print a one-line token that admits another device to this network: pass it to "
      "--join on the new device. Whoever holds the token is admitted; send it privately");
  inv->add_option("--data", data, "Data directory of a member (default: the default data dir)");
  inv->add_option("--address", address,
                  "HOST:PORT the new device joins through (default: the node running on --data)");

  auto* pw = app.add_subcommand(
      "passwd",
      "Set, change or remove the passphrase of your user key (PEERSTORE_PASSPHRASE and "
      "PEERSTORE_NEW_PASSPHRASE give them in scripts)");
  pw->add_option("--config", config, "Identity directory (default ~/.config/peerstore)");
  pw->add_flag("--remove", remove, "Store the key without a passphrase");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore: %s; see 'peerstore --help'\n", e.what());
    return 2;
  }
  if (data.empty()) data = tool::default_data_dir();
  if (config.empty()) config = tool::default_config_dir();

  Result<int> r = *pw    ? passwd(config, remove)
                  : *inv ? invite(data, address)
                         : status(data, node, json);
  if (!r) {
    std::fprintf(stderr, "peerstore: %s\n", tool::user_message(r.error()).c_str());
    return 1;
  }
  return *r;
}
