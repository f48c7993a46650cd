// KvTable conformance: the in-memory table and LMDB's (a database of an LmdbStore's
// environment) behave alike: byte-ordered prefix scans, atomic batches in which a later change
// of a key wins, erasing, size caps refused before anything is written, and (LMDB) records that
// survive reopening the store and stay apart from its blocks and other tables.
#include <doctest/doctest.h>

#include <string>

#include "../common/temp_dir.h"
#include "store/lmdb_store.h"

namespace peerstore {
namespace {

Bytes b(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
std::string s_of(ByteView v) {
  return std::string(v.begin(), v.end());
}

struct MemoryTableMaker {
  MemoryKvTable table;
  KvTable& get() { return table; }
  bool reopen() { return false; }
};

struct LmdbTableMaker {
  test::TempDir dir;
  std::unique_ptr<LmdbStore> store;
  std::unique_ptr<KvTable> table;
  LmdbTableMaker() { open(); }
  KvTable& get() { return *table; }
  void open() {
    table.reset();
    store.reset();
    auto s = LmdbStore::open(dir.file("db"));
    REQUIRE(s.ok());
    store = std::move(*s);
    auto t = store->table("things");
    REQUIRE(t.ok());
    table = std::move(*t);
  }
  bool reopen() {
    open();
    return true;
  }
};

#define TABLE_MAKERS MemoryTableMaker, LmdbTableMaker

std::string dump(KvTable& t, const std::string& prefix) {
  std::string out;
  REQUIRE(t.scan(b(prefix), [&](ByteView k, ByteView v) {
             out += s_of(k) + "=" + s_of(v) + ";";
             return true;
           }).ok());
  return out;
}

TEST_CASE_TEMPLATE("kv table: get, write in batches, erase, and scan by prefix in byte order",
                   Maker, TABLE_MAKERS) {
  Maker m;
  KvTable& t = m.get();
  auto none = t.get(b("a"));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  CHECK(dump(t, "") == "");
  REQUIRE(t.write({{b("ab"), b("2")},
                   {b("aa"), b("1")},
                   {b("b"), b("3")},
                   {b("a\xff"), b("4")},
                   {b("ab"), b("2b")}})  // a later change of one key wins
              .ok());
  CHECK(dump(t, "") == "aa=1;ab=2b;a\xff=4;b=3;");
  CHECK(dump(t, "a") == "aa=1;ab=2b;a\xff=4;");
  CHECK(dump(t, "ab") == "ab=2b;");
  CHECK(dump(t, "abc") == "");
  CHECK(dump(t, "c") == "");
  auto got = t.get(b("ab"));
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(s_of(**got) == "2b");
  // Erasing, also a key that is not there.
  REQUIRE(t.write({{b("aa"), std::nullopt}, {b("zz"), std::nullopt}}).ok());
  CHECK(dump(t, "") == "ab=2b;a\xff=4;b=3;");
  // A scan stops when told.
  int seen = 0;
  REQUIRE(t.scan(b(""), [&](ByteView, ByteView) { return ++seen < 2; }).ok());
  CHECK(seen == 2);
  if (m.reopen()) CHECK(dump(m.get(), "") == "ab=2b;a\xff=4;b=3;");
}

TEST_CASE_TEMPLATE("kv table: a batch over the size caps is refused whole", Maker, TABLE_MAKERS) {
  Maker m;
  KvTable& t = m.get();
  Bytes long_key(KvTable::kMaxKey + 1, 'k'), long_value(KvTable::kMaxValue + 1, 'v');
  CHECK(t.write({{b("x"), b("1")}, {long_key, b("2")}}).code() == Errc::too_big);
  CHECK(t.write({{b("x"), b("1")}, {b("y"), long_value}}).code() == Errc::too_big);
  CHECK(t.write({{Bytes(), b("1")}}).code() == Errc::too_big);
  CHECK(dump(t, "") == "");  // nothing of either batch
  Bytes max_key(KvTable::kMaxKey, 'k'), max_value(KvTable::kMaxValue, 'v');
  REQUIRE(t.write({{max_key, max_value}}).ok());
  auto got = t.get(max_key);
  REQUIRE(got.ok());
  CHECK(got->value_or(Bytes()) == max_value);
}

TEST_CASE("kv table: an LMDB table is apart from the store's blocks and from other tables") {
  LmdbTableMaker m;
  REQUIRE(m.get().write({{b("k"), b("v")}}).ok());
  auto other = m.store->table("others");
  REQUIRE(other.ok());
  CHECK(dump(**other, "") == "");
  REQUIRE((*other)->write({{b("k"), b("w")}}).ok());
  CHECK(dump(m.get(), "") == "k=v;");
  auto stats = m.store->stats();
  REQUIRE(stats.ok());
  CHECK(stats->blocks == 0);
  int ids = 0;
  REQUIRE(m.store->for_each_id([&](const BlockId&, size_t) { return ++ids, true; }).ok());
  CHECK(ids == 0);
}

}  // namespace
}  // namespace peerstore
