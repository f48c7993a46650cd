#include "fs/directory.h"

#include <sodium.h>

namespace peerstore {
namespace {

Bytes encode_entry(const DirEntry& e) {
  Bytes v(9);
  put_u64be(v.data(), e.ino);
  v[8] = e.type;
  return v;
}

Result<DirEntry> decode_entry(ByteView v) {
  if (v.size() != 9) return fail(Errc::corrupt, "directory entry of wrong size");
  return DirEntry{get_u64be(v.data()), v[8]};
}

}  // namespace

uint64_t name_pos(std::string_view name) {
  // A fixed key: positions only order entries inside encrypted blocks, they protect nothing.
  static constexpr uint8_t kKey[crypto_shorthash_KEYBYTES] = {'p', 'e', 'e', 'r', 's', 't', 'o', 'r',
                                                              'e', '-', 'd', 'i', 'r', 'v', '1', 0};
  uint8_t h[crypto_shorthash_BYTES];
  crypto_shorthash(h, reinterpret_cast<const uint8_t*>(name.data()), name.size(), kKey);
  return get_u64be(h) >> 2;
}

Result<std::optional<DirEntry>> dir_lookup(TrieMap& dir, std::string_view name) {
  PS_ASSIGN(auto v, dir.get(name_pos(name), as_bytes(name)));
  if (!v) return std::optional<DirEntry>();
  PS_ASSIGN(auto e, decode_entry(*v));
  return std::optional<DirEntry>(e);
}

Status dir_insert(TrieMap& dir, std::string_view name, const DirEntry& e) {
  return dir.put(name_pos(name), as_bytes(name), encode_entry(e));
}

Result<bool> dir_remove(TrieMap& dir, std::string_view name) {
  return dir.erase(name_pos(name), as_bytes(name));
}

Status dir_scan(TrieMap& dir, uint64_t from_pos, const DirVisitor& fn) {
  Status inner;
  PS_TRY(dir.scan(from_pos, [&](uint64_t pos, ByteView key, ByteView value) {
    auto e = decode_entry(value);
    if (!e) {
      inner = e.error();
      return false;
    }
    return fn(pos, as_chars(key), *e);
  }));
  return inner;
}

}  // namespace peerstore
