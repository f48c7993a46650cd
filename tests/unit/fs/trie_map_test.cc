// TrieMap holds the inode table and every directory, so it is checked against a std::map
// model over long seeded random runs, including flushing and reopening from the sealed root
// (the lazy-loading path that every mount after the first takes). Seeds are fixed and printed
// on failure through CAPTURE.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "../common/must.h"
#include "fs/trie_map.h"
#include "io_harness.h"

namespace peerstore {
namespace {

using test::must;
using test::IoHarness;

// Keys are held as std::string in the model: its comparison is by unsigned bytes, the order
// TrieMap promises (and it keeps GCC 12's -Wstringop-overread false positive on
// vector<uint8_t> three-way comparison out of the build).
using Key = std::pair<uint64_t, std::string>;
using Model = std::map<Key, Bytes>;
using Entry = std::tuple<uint64_t, std::string, Bytes>;

std::vector<Entry> scan_all(TrieMap& t, uint64_t from = 0) {
  std::vector<Entry> out;
  REQUIRE(t.scan(from, [&](uint64_t pos, ByteView k, ByteView v) {
               out.emplace_back(pos, std::string(as_chars(k)), Bytes(v.begin(), v.end()));
               return true;
             }).ok());
  return out;
}

std::vector<Entry> model_from(const Model& m, uint64_t from) {
  std::vector<Entry> out;
  for (auto it = m.lower_bound(Key{from, std::string()}); it != m.end(); ++it)
    out.emplace_back(it->first.first, it->first.second, it->second);
  return out;
}

Bytes random_bytes(std::mt19937_64& rng, size_t max_len) {
  Bytes b(rng() % (max_len + 1));
  for (auto& x : b) x = uint8_t(rng() % 4 == 0 ? rng() : 'a' + rng() % 3);  // many shared prefixes
  return b;
}

TEST_CASE("TrieMap: an empty map") {
  IoHarness h;
  TrieMap t(h.io);
  CHECK_FALSE(must(t.get(1, as_bytes("x"))).has_value());
  CHECK_FALSE(must(t.erase(1, as_bytes("x"))));
  CHECK(scan_all(t).empty());
  auto root = t.flush();
  REQUIRE(root.ok());
  CHECK_FALSE(root->has_value());
}

TEST_CASE("TrieMap: random operations agree with std::map, across flush and reopen") {
  const uint64_t seed = 0x7e1e5eed;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  IoHarness h;
  auto t = std::make_unique<TrieMap>(h.io);
  Model model;
  std::vector<Key> seen;  // keys ever put, to hit existing (and erased) keys often
  // A few positions shared by many keys: same-position entries must order by key and survive
  // splits down to the last level.
  const uint64_t shared_pos[] = {0, 1, 0x8000000000000000ull, ~0ull, 0x0123456789abcdefull};
  size_t reopens = 0;
  for (int op = 0; op < 20000; ++op) {
    CAPTURE(op);
    Key k;
    if (!seen.empty() && rng() % 2) {
      k = seen[rng() % seen.size()];
    } else {
      k.first = rng() % 8 == 0 ? shared_pos[rng() % 5] : rng();
      Bytes kb = random_bytes(rng, 12);
      k.second.assign(kb.begin(), kb.end());
    }
    int what = int(rng() % 100);
    if (what < 55) {
      Bytes v = random_bytes(rng, 64);
      REQUIRE(t->put(k.first, as_bytes(k.second), v).ok());
      model[k] = v;
      seen.push_back(k);
    } else if (what < 80) {
      auto r = t->erase(k.first, as_bytes(k.second));
      REQUIRE(r.ok());
      CHECK(*r == (model.erase(k) == 1));
    } else {
      auto r = t->get(k.first, as_bytes(k.second));
      REQUIRE(r.ok());
      auto it = model.find(k);
      REQUIRE(r->has_value() == (it != model.end()));
      if (it != model.end()) CHECK(**r == it->second);
    }
    if (op % 4000 == 3999) {
      auto root = t->flush();
      REQUIRE(root.ok());
      CHECK(!t->dirty());
      h.persist();
      t = *root ? std::make_unique<TrieMap>(h.io, **root) : std::make_unique<TrieMap>(h.io);
      ++reopens;
      REQUIRE(scan_all(*t) == model_from(model, 0));
    }
  }
  CHECK(reopens == 5);
  CHECK(model.size() > 3000);  // the run built a multi-level tree, not a toy

  // Scans from arbitrary positions, including ones between and on existing positions.
  for (int i = 0; i < 200; ++i) {
    uint64_t from = i % 3 == 0 ? std::next(model.begin(), long(rng() % model.size()))->first.first
                               : rng();
    CAPTURE(from);
    CHECK(scan_all(*t, from) == model_from(model, from));
  }
  CHECK(scan_all(*t, ~0ull) == model_from(model, ~0ull));

  // A scan stops as soon as the visitor says so.
  int visited = 0;
  REQUIRE(t->scan(0, [&](uint64_t, ByteView, ByteView) { return ++visited < 10; }).ok());
  CHECK(visited == 10);

  // Erasing everything leaves an empty map whose flush has no root.
  for (auto& [k, v] : Model(model)) REQUIRE(must(t->erase(k.first, as_bytes(k.second))));
  CHECK(scan_all(*t).empty());
  auto root = t->flush();
  REQUIRE(root.ok());
  CHECK_FALSE(root->has_value());
}

TEST_CASE("TrieMap: big maps split into many blocks and updates rewrite only a path") {
  IoHarness h;
  TrieMap t(h.io);
  std::mt19937_64 rng(42);
  std::vector<uint64_t> positions;
  for (int i = 0; i < 5000; ++i) {
    positions.push_back(rng());
    REQUIRE(t.put(positions.back(), as_bytes("k"), Bytes(40, uint8_t(i))).ok());
  }
  auto root = t.flush();
  REQUIRE(root.ok());
  REQUIRE(root->has_value());
  uint64_t blocks = h.persist();
  // 5000 * ~70 bytes is several times kMaxLeafBytes: the root must have split.
  CHECK(blocks > 4);

  // A clean reopen, one change: only the blocks on its path are new.
  TrieMap again(h.io, **root);
  REQUIRE(again.put(positions[123], as_bytes("k"), to_bytes("changed")).ok());
  auto root2 = again.flush();
  REQUIRE(root2.ok());
  CHECK(**root2 != **root);
  uint64_t after = h.persist();
  CHECK(after > blocks);
  CHECK(after - blocks <= 3);  // depth of this tree: a branch or two and a leaf

  // Flushing a clean map writes nothing and returns the same root.
  TrieMap clean(h.io, **root2);
  CHECK(*must(clean.flush()) == **root2);
  CHECK(h.persist() == after);
  CHECK(*must(clean.get(positions[123], as_bytes("k"))) == to_bytes("changed"));
  CHECK(*must(clean.get(positions[7], as_bytes("k"))) == Bytes(40, 7));
}

TEST_CASE("TrieMap: thousands of keys at one position stay correct") {
  // Same 64-bit position (a full hash collision, or a directory attacked with chosen names):
  // splitting cannot separate them, so they must live in one oversized leaf.
  IoHarness h;
  TrieMap t(h.io);
  for (int i = 0; i < 3000; ++i) {
    std::string k = "key" + std::to_string(i);
    REQUIRE(t.put(77, as_bytes(k), Bytes(30, uint8_t(i))).ok());
  }
  REQUIRE(t.put(78, as_bytes("other"), to_bytes("o")).ok());
  auto root = t.flush();
  REQUIRE(root.ok());
  h.persist();
  TrieMap again(h.io, **root);
  for (int i = 0; i < 3000; i += 97) {
    std::string k = "key" + std::to_string(i);
    CHECK(*must(again.get(77, as_bytes(k))) == Bytes(30, uint8_t(i)));
  }
  auto all = scan_all(again, 77);
  CHECK(all.size() == 3001);
  CHECK(std::get<0>(all.back()) == 78);
}

TEST_CASE("TrieMap: a corrupt node is an error, not a crash") {
  IoHarness h;
  TrieMap t(h.io);
  REQUIRE(t.put(5, as_bytes("a"), to_bytes("b")).ok());
  auto root = t.flush();
  REQUIRE(root.ok());
  h.persist();
  BlockPtr bad = **root;
  bad.key[0] ^= 1;  // wrong key: the block does not authenticate
  TrieMap broken(h.io, bad);
  CHECK(broken.get(5, as_bytes("a")).code() == Errc::corrupt);
  CHECK(broken.put(6, as_bytes("a"), to_bytes("b")).code() == Errc::corrupt);
  CHECK_FALSE(broken.scan(0, [](uint64_t, ByteView, ByteView) { return true; }).ok());

  // A well-sealed block that is not a trie node.
  auto junk = h.io.write(to_bytes("not msgpack"));
  REQUIRE(junk.ok());
  TrieMap junk_map(h.io, *junk);
  CHECK(junk_map.get(5, as_bytes("a")).code() == Errc::corrupt);
}

}  // namespace
}  // namespace peerstore
