// DATA/node.addr tells the tools where the node on DATA listens. The contract: what is written
// reads back; a missing, empty or oversized file reads as "no node is running" with what to do;
// removing it is idempotent.
#include "host/node_address.h"

#include <doctest/doctest.h>

#include <fstream>

#include "../common/must.h"
#include "../common/temp_dir.h"

namespace peerstore::host {
namespace {

using test::must;

void put(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST_CASE("node address: written, read back, removed") {
  test::TempDir dir;
  DataDirLayout l(dir.path());
  REQUIRE(write_node_address(l, "127.0.0.1:4000").ok());
  CHECK(must(read_node_address(l)) == "127.0.0.1:4000");
  std::ifstream f(l.node_address());
  std::string text((std::istreambuf_iterator<char>(f)), {});
  CHECK(text == "127.0.0.1:4000\n");                  // one line: scripts read it with cat
  REQUIRE(write_node_address(l, "[::1]:5000").ok());  // replaced whole
  CHECK(must(read_node_address(l)) == "[::1]:5000");
  remove_node_address(l);
  CHECK(read_node_address(l).code() == Errc::not_found);
  remove_node_address(l);  // twice: nothing to do
}

TEST_CASE("node address: no node running says what to do") {
  test::TempDir dir;
  DataDirLayout l(dir.path());
  std::string expected = "no node is running on " + dir.path() +
                         "; start peerstorefs or peerstore-node with --data " + dir.path() +
                         ", or give --node HOST:PORT";
  SUBCASE("no file") {}
  SUBCASE("empty file") {
    put(l.node_address(), "");
  }
  SUBCASE("empty first line") {
    put(l.node_address(), "\n127.0.0.1:1\n");
  }
  SUBCASE("too long") {
    put(l.node_address(), std::string(256, 'a') + "\n");
  }
  auto r = read_node_address(l);
  CHECK(r.code() == Errc::not_found);
  CHECK(r.error().context == expected);
}

TEST_CASE("node address: a data directory that cannot be written is an error") {
  test::TempDir dir;
  DataDirLayout l(dir.file("missing"));
  auto st = write_node_address(l, "127.0.0.1:4000");
  CHECK(st.code() == Errc::io);
}

}  // namespace
}  // namespace peerstore::host
