// Fuzz target: TrieMap's node decoder (the inode table and directories), on a node read from a
// sealed block as the mount reads it, and the directory entries inside. The input is the node's
// plaintext; the target seals it into an in-memory store, opens a TrieMap on it and scans,
// looks up, changes and re-flushes it. Child nodes of a branch are not in the store, so they
// fail as missing blocks. Checks that every scanned entry is found by get(), in order, and that
// a flushed copy scans to the same entries.
#include <tuple>

#include "fs/directory.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace {

struct Entry {
  uint64_t pos;
  Bytes key, value;
  bool operator==(const Entry&) const = default;
};

Result<std::vector<Entry>> scan_all(TrieMap& map) {
  std::vector<Entry> out;
  PS_TRY(map.scan(0, [&](uint64_t pos, ByteView key, ByteView value) {
    out.push_back({pos, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
    return true;
  }));
  return out;
}

}  // namespace

namespace peerstore::fuzz {
// Nodes as the mount writes them: directory leaves, an inode table leaf, a branch.
void make_seeds(Seeds& seeds) {
  for (size_t n : {1, 5, 40}) {
    TrieMap dir(fuzz::shared_io());
    for (size_t i = 0; i < n; ++i)
      check(dir_insert(dir, "file-" + std::to_string(i) + ".txt", DirEntry{100 + i, 8}).ok(),
            "seed directory insert");
    auto root = dir.flush();
    check(root && *root, "seed directory flush");
    auto plain = fuzz::shared_io().read(**root);
    check(plain.ok(), "seed directory read");
    seeds.add("directory-leaf-" + std::to_string(n), *plain);
  }
  TrieMap table(fuzz::shared_io());
  Bytes record(120, 0x42);
  for (uint64_t ino : {1ULL, 0x8000000000000001ULL, 0x4000000000000002ULL})
    check(table.put(ino, Bytes(8, uint8_t(ino)), record).ok(), "seed table put");
  auto root = table.flush();
  check(root && *root, "seed table flush");
  seeds.add("inode-table-leaf", *fuzz::shared_io().read(**root));
  // A leaf past kMaxLeafBytes splits into a branch of 256 slots.
  TrieMap wide(fuzz::shared_io());
  Bytes value(2000, 0x17);
  for (uint64_t i = 0; i < 40; ++i) check(wide.put(i << 58, {}, value).ok(), "seed wide put");
  root = wide.flush();
  check(root && *root, "seed wide flush");
  seeds.add("branch", *fuzz::shared_io().read(**root));
  clear(fuzz::shared_store());
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::clear(fuzz::shared_store());
  BlockPtr ptr = fuzz::add_sealed(fuzz::shared_store(), ByteView(data, size));
  TrieMap map(fuzz::shared_io(), ptr);
  auto entries = scan_all(map);
  if (!entries) {
    fuzz::check(entries.code() == Errc::corrupt || entries.code() == Errc::not_found,
                "a trie node error other than corrupt or a missing child");
    return 0;
  }
  for (size_t i = 0; i < entries->size(); ++i) {
    auto& e = (*entries)[i];
    if (i > 0) {
      auto& p = (*entries)[i - 1];
      fuzz::check(std::tie(p.pos, p.key) < std::tie(e.pos, e.key), "a trie scan out of order");
    }
    auto v = map.get(e.pos, e.key);
    fuzz::check(v.ok() && v->has_value() && **v == e.value, "a scanned entry that get() misses");
  }
  {
    TrieMap dir(fuzz::shared_io(), ptr);
    auto st = dir_scan(dir, 0, [](uint64_t, std::string_view, const DirEntry&) { return true; });
    fuzz::check(st || st.code() == Errc::corrupt, "a directory error other than corrupt");
  }
  // A change and its undo dirty the node: the flushed copy must hold the same entries.
  Bytes key{0xff, 0xfe};
  fuzz::check(map.put(~uint64_t(0), key, key).ok(), "put into a loaded node fails");
  auto erased = map.erase(~uint64_t(0), key);
  fuzz::check(erased.ok(), "erase from a loaded node fails");
  bool existed = std::any_of(entries->begin(), entries->end(),
                             [&](const Entry& e) { return e.pos == ~uint64_t(0) && e.key == key; });
  if (existed) return 0;  // the put replaced an entry of the input
  auto root = map.flush();
  fuzz::check(root.ok(), "flushing a loaded node fails");
  if (!*root) {
    fuzz::check(entries->empty(), "a non-empty node flushes to nothing");
    return 0;
  }
  TrieMap copy(fuzz::shared_io(), **root);
  auto again = scan_all(copy);
  fuzz::check(again.ok() && *again == *entries, "a flushed node scans to other entries");
  return 0;
}
