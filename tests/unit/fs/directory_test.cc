// Directory helpers: names are placed by a keyed 62-bit hash that doubles as the readdir
// cookie, so it must never change across versions (a cookie handed out before an upgrade must
// still mean the same place) and must leave room for the two cookies FUSE reserves.
#include <doctest/doctest.h>

#include <dirent.h>

#include <map>
#include <set>

#include "../common/must.h"
#include "fs/directory.h"
#include "io_harness.h"

namespace peerstore {
namespace {

using test::must;
using test::IoHarness;

TEST_CASE("name_pos is stable, 62-bit and spreads names") {
  // Pinned: computed once from this implementation. A change breaks every stored directory.
  CHECK(name_pos("hello") == name_pos("hello"));
  CHECK(name_pos("hello") == 3685707765821397781ull);
  CHECK(name_pos("") == 1064522693797201907ull);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    uint64_t p = name_pos("file" + std::to_string(i));
    CHECK(p < (uint64_t(1) << 62));
    seen.insert(p);
  }
  CHECK(seen.size() == 10000);
  // The top 6 bits of the range are all used (the trie branches on the top byte).
  std::set<uint64_t> top;
  for (uint64_t p : seen) top.insert(p >> 56);
  CHECK(top.size() == 64);
}

TEST_CASE("dir_insert / dir_lookup / dir_remove / dir_scan") {
  IoHarness h;
  TrieMap dir(h.io);
  std::map<uint64_t, std::string> by_pos;
  for (int i = 0; i < 300; ++i) {
    std::string name = "n" + std::to_string(i);
    REQUIRE(dir_insert(dir, name, DirEntry{1000u + i, DT_REG}).ok());
    by_pos[name_pos(name)] = name;
  }
  REQUIRE(dir_insert(dir, "sub", DirEntry{7, DT_DIR}).ok());
  by_pos[name_pos("sub")] = "sub";

  auto e = dir_lookup(dir, "n42");
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  CHECK((*e)->ino == 1042);
  CHECK((*e)->type == DT_REG);
  CHECK((must(dir_lookup(dir, "sub")))->type == DT_DIR);
  CHECK_FALSE(must(dir_lookup(dir, "n300")).has_value());
  CHECK_FALSE(must(dir_lookup(dir, "N42")).has_value());  // names are case-sensitive bytes

  // Replacing an entry keeps one entry under the name.
  REQUIRE(dir_insert(dir, "n42", DirEntry{5, DT_LNK}).ok());
  CHECK((must(dir_lookup(dir, "n42")))->ino == 5);

  CHECK(must(dir_remove(dir, "n7")));
  CHECK_FALSE(must(dir_remove(dir, "n7")));
  by_pos.erase(name_pos("n7"));

  // Scan order is position order and positions are name_pos.
  std::vector<std::string> order;
  REQUIRE(dir_scan(dir, 0, [&](uint64_t pos, std::string_view name, const DirEntry&) {
               CHECK(pos == name_pos(name));
               order.emplace_back(name);
               return true;
             }).ok());
  std::vector<std::string> expected;
  for (auto& [p, n] : by_pos) expected.push_back(n);
  CHECK(order == expected);

  // Scanning from the position just after an entry continues right after it.
  auto mid = std::next(by_pos.begin(), 150);
  std::string first;
  REQUIRE(dir_scan(dir, mid->first + 1, [&](uint64_t, std::string_view name, const DirEntry&) {
               first = name;
               return false;
             }).ok());
  CHECK(first == std::next(mid)->second);
}

TEST_CASE("a damaged directory entry is reported, not trusted") {
  IoHarness h;
  TrieMap dir(h.io);
  REQUIRE(dir.put(name_pos("x"), as_bytes("x"), Bytes(8, 0)).ok());  // 8 bytes, not 9
  CHECK(dir_lookup(dir, "x").code() == Errc::corrupt);
  auto st = dir_scan(dir, 0, [](uint64_t, std::string_view, const DirEntry&) { return true; });
  CHECK(st.code() == Errc::corrupt);
}

}  // namespace
}  // namespace peerstore
