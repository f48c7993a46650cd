// peerstore: works with a PeerStore network without a mount. Today: `status`, which asks a
// running node (found through its data directory or given by address) for its ring and
// replication state. Wiring only.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "dht/status_query.h"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peerstore: work with a PeerStore network"};
  app.require_subcommand(1);
  std::string data, node;
  bool json = false;
  auto* status = app.add_subcommand("status", "Show a node's ring and replication state");
  auto* data_opt = status->add_option("--data", data, "Data directory of a node running here");
  status->add_option("--node", node, "HOST:PORT of a node")->excludes(data_opt);
  status->add_flag("--json", json, "One line of JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore: %s; see 'peerstore --help'\n", e.what());
    return 2;
  }

  if (node.empty()) {
    auto addr = tool::read_node_address(data.empty() ? tool::default_data_dir() : data);
    if (!addr) {
      std::fprintf(stderr, "peerstore: %s\n", tool::user_message(addr.error()).c_str());
      return 1;
    }
    node = *addr;
  }
  auto s = query_status(node, nullptr, std::chrono::seconds(5));
  if (!s) {
    std::fprintf(stderr, "peerstore: %s\n", tool::user_message(s.error()).c_str());
    return 1;
  }
  json ? print_json(*s) : print_text(*s);
  return 0;
}
