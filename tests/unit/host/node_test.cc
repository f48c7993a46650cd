// Node runs the start and stop sequence on a data directory. The contract: a started node
// listens and has written its address to DATA/node.addr; a second node on the same DATA is
// refused (the lock) while the first runs; leaving or dropping the node removes the address.
#include "host/node.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "../common/must.h"
#include "../common/temp_dir.h"
#include "dht/node_ref.h"
#include "host/node_address.h"
#include "keys/network_secret.h"
#include "store/unsynced_marker.h"

namespace peerstore::host {
namespace {

using test::must;

NodeOptions options_for(const std::string& data) {
  NodeOptions o;
  o.layout = DataDirLayout(data + "/data", data + "/config");
  return o;
}

TEST_CASE("node: start writes node.addr, leave removes it") {
  test::TempDir dir;
  auto node = must(Node::start(options_for(dir.path())));
  const DataDirLayout& l = node->layout();
  CHECK(node->address().starts_with("127.0.0.1:"));
  CHECK(must(read_node_address(l)) == node->address());
  CHECK(must(load_network_secret(l.data())) == node->credentials().network_secret);
  // The device key is DATA's, so the ring id survives restarts.
  Id256 id = node_id_for(node->credentials().device.public_key());
  CHECK(node->dht().status().self.id == id);

  auto second = Node::open(options_for(dir.path()));
  CHECK(second.code() == Errc::busy);

  CHECK(node->leave().ok());
  CHECK(read_node_address(l).code() == Errc::not_found);
  node.reset();
  auto again = must(Node::start(options_for(dir.path())));
  CHECK(node_id_for(again->credentials().device.public_key()) == id);
}

TEST_CASE("node: dropped without leaving, it still removes node.addr") {
  test::TempDir dir;
  auto node = must(Node::start(options_for(dir.path())));
  DataDirLayout l = node->layout();
  CHECK(read_node_address(l).ok());
  node.reset();
  CHECK(read_node_address(l).code() == Errc::not_found);
}

TEST_CASE("node: open starts nothing and writes no address") {
  test::TempDir dir;
  auto node = must(Node::open(options_for(dir.path())));
  CHECK(read_node_address(node->layout()).code() == Errc::not_found);
  REQUIRE(node->start().ok());
  CHECK(must(read_node_address(node->layout())) == node->address());
  CHECK(node->start().code() == Errc::invalid);  // once only
}

TEST_CASE("node: --join HOST:PORT without a network secret fails before anything starts") {
  test::TempDir dir;
  NodeOptions o = options_for(dir.path());
  o.join = "127.0.0.1:1";
  auto r = Node::start(std::move(o));
  CHECK(r.code() == Errc::not_found);
  CHECK(r.error().context.find("peerstore invite") != std::string::npos);
}

TEST_CASE("node: a storage node's store that a power cut may have corrupted goes aside") {
  test::TempDir dir;
  auto storage_node = [&] {
    NodeOptions o = options_for(dir.path());
    o.background_sync_ms = kBackgroundSyncMs;
    return o;
  };
  DataDirLayout l = storage_node().layout;
  must(Node::open(storage_node())).reset();
  // What the store looks like after the machine went down with unsynced commits.
  REQUIRE(unsynced_marker::set(l.store(), "an-earlier-boot").ok());

  SUBCASE("a storage node moves it aside, keeps it, and starts with an empty store") {
    auto node = must(Node::open(storage_node()));
    CHECK(unsynced_marker::check(l.store(), unsynced_marker::current_boot_id()).ok());
    std::vector<std::string> aside;
    for (auto& e : std::filesystem::directory_iterator(l.data()))
      if (e.path().filename().string().starts_with("store.after-power-cut-"))
        aside.push_back(e.path().string());
    REQUIRE(aside.size() == 1);
    CHECK(std::filesystem::exists(aside[0] + "/data.mdb"));
    CHECK(unsynced_marker::check(aside[0], unsynced_marker::current_boot_id()).code() ==
          Errc::corrupt);
  }
  SUBCASE("a mount's node refuses it: the mount's own data is not the ring's to refill") {
    NodeOptions m = options_for(dir.path());
    m.shared_store = true;
    auto r = Node::open(std::move(m));
    CHECK(r.code() == Errc::corrupt);
    CHECK(std::filesystem::exists(l.store() + "/data.mdb"));
  }
}

TEST_CASE("node: a mount's node never acknowledges before the sync") {
  test::TempDir dir;
  NodeOptions o = options_for(dir.path());
  o.shared_store = true;
  o.background_sync_ms = kBackgroundSyncMs;
  CHECK(Node::open(std::move(o)).code() == Errc::invalid);
}

}  // namespace
}  // namespace peerstore::host
