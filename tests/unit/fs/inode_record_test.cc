// InodeRecord is the on-disk form of every file's metadata. Every field must survive the
// round trip, any damage must decode as corrupt, and the byte layout is pinned by a golden
// encoding (changing it would make existing volumes unreadable).
#include "fs/inode_record.h"

#include <doctest/doctest.h>

#include <functional>
#include <random>

#include "../common/must.h"
#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

using test::must;

std::string rep(const char* byte_hex, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += byte_hex;
  return s;
}

InodeRecord full_record() {
  InodeRecord r;
  r.ino = 0x0123456789abcdefull;
  r.mode = S_IFREG | 0644;
  r.uid = 1000;
  r.gid = 1000;
  r.rdev = 0;
  r.nlink = 1;
  r.size = 5;
  r.atime = {1700000000, 1};
  r.mtime = {1700000001, 999999999};
  r.ctime = {1700000002, 0};
  r.btime = {-1, 5};  // before the epoch: times are signed
  r.parent = 1;
  r.xattrs["user.a"] = to_bytes("xy");
  r.inline_data = to_bytes("hello");
  BlockPtr p;
  p.id.b.fill(0x11);
  p.key.fill(0x22);
  p.suite = BlockSuite::xchacha_blake2b;  // the golden encoding below pins suite 1's pointer
  r.root = p;
  r.depth = 2;
  r.entries = 3;
  return r;
}

void check_same(const InodeRecord& a, const InodeRecord& b) {
  CHECK(a.ino == b.ino);
  CHECK(a.mode == b.mode);
  CHECK(a.uid == b.uid);
  CHECK(a.gid == b.gid);
  CHECK(a.rdev == b.rdev);
  CHECK(a.nlink == b.nlink);
  CHECK(a.size == b.size);
  for (auto [x, y] :
       {std::pair{a.atime, b.atime}, {a.mtime, b.mtime}, {a.ctime, b.ctime}, {a.btime, b.btime}}) {
    CHECK(x.tv_sec == y.tv_sec);
    CHECK(x.tv_nsec == y.tv_nsec);
  }
  CHECK(a.parent == b.parent);
  CHECK(a.xattrs == b.xattrs);
  CHECK(a.inline_data == b.inline_data);
  CHECK(a.root == b.root);
  CHECK(a.depth == b.depth);
  CHECK(a.entries == b.entries);
  CHECK(a.is_link() == b.is_link());
  if (a.is_link() && b.is_link()) CHECK(*a.link == *b.link);
}

InodeRecord link_record() {
  InodeRecord r = full_record();
  r.mode = S_IFDIR | 0755;
  r.nlink = 2;
  r.size = 0;
  r.xattrs.clear();
  r.inline_data.clear();
  r.root.reset();
  r.depth = 0;
  r.entries = 0;
  r.link = std::make_shared<const Secret>(to_bytes("an encoded grant"));
  return r;
}

TEST_CASE("InodeRecord: every field round-trips") {
  InodeRecord r = full_record();
  // Extremes too: the largest values each field can hold.
  r.rdev = ~0ull;
  r.uid = ~0u;
  r.size = ~0ull;
  r.xattrs["trusted.big"] = Bytes(65536, 0xab);
  r.xattrs["user.empty"] = {};
  auto d = InodeRecord::decode(r.encode());
  REQUIRE(d.ok());
  check_same(*d, r);

  InodeRecord minimal;  // no root, no xattrs, zero times
  auto m = InodeRecord::decode(minimal.encode());
  REQUIRE(m.ok());
  check_same(*m, minimal);
  CHECK_FALSE(m->root.has_value());
}

TEST_CASE("InodeRecord: golden encoding") {
  std::string expected =
      "dc0012"              // array16 of 18
      "01"                  // version
      "cf0123456789abcdef"  // ino
      "cd81a4"              // mode S_IFREG|0644
      "cd03e8"
      "cd03e8"  // uid, gid
      "00"
      "01"
      "05"                            // rdev, nlink, size
      "92ce6553f10001"                // atime [1700000000, 1]
      "92ce6553f101ce3b9ac9ff"        // mtime [1700000001, 999999999]
      "92ce6553f10200"                // ctime [1700000002, 0]
      "92ff05"                        // btime [-1, 5]
      "01"                            // parent
      "9192c406757365722e61c4027879"  // xattrs [["user.a", "xy"]]
      "c40568656c6c6f"                // inline "hello"
      "c440" +
      rep("11", 32) + rep("22", 32) +  // root: id || key
      "02"
      "03";  // depth, entries
  CHECK(to_hex(full_record().encode()) == expected);
  // A suite 2 pointer: bin(65), the suite byte first.
  InodeRecord r = full_record();
  r.root->suite = BlockSuite::aes_gcm_sha256;
  std::string enc = to_hex(r.encode());
  std::string root2 = "c44102" + rep("11", 32) + rep("22", 32);
  CHECK(enc.find(root2) != std::string::npos);
  auto back = InodeRecord::decode(r.encode());
  REQUIRE(back.ok());
  CHECK(back->root == r.root);
}

TEST_CASE("InodeRecord: truncated, extended and garbage input is corrupt") {
  Bytes enc = full_record().encode();
  for (size_t n = 0; n < enc.size(); ++n) {
    CAPTURE(n);
    CHECK(InodeRecord::decode(ByteView(enc.data(), n)).code() == Errc::corrupt);
  }
  Bytes longer = enc;
  longer.push_back(0);
  CHECK(InodeRecord::decode(longer).code() == Errc::corrupt);

  std::mt19937_64 rng(99);
  for (int i = 0; i < 5000; ++i) {
    Bytes b = enc;
    b[rng() % b.size()] = uint8_t(rng());
    auto d = InodeRecord::decode(b);
    CHECK((d.ok() || d.code() == Errc::corrupt));
  }
  for (int i = 0; i < 2000; ++i) {
    Bytes b(rng() % 200);
    for (auto& x : b) x = uint8_t(rng());
    CHECK_FALSE(InodeRecord::decode(b).ok());
  }
}

// Re-encodes full_record() with one field replaced, to hit each validation rule.
Bytes with_field(size_t index, const std::function<void(mp::Packer&)>& pack_field) {
  auto d = mp::unpack(full_record().encode());
  REQUIRE(d.ok());
  auto a = must(mp::get_array(d->get(), 18, 18));
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(18);
  for (size_t i = 0; i < 18; ++i) {
    if (i == index)
      pack_field(pk);
    else
      pk.pack(a[i]);
  }
  return mp::to_bytes(buf);
}

TEST_CASE("InodeRecord: out-of-range fields are corrupt") {
  CHECK(InodeRecord::decode(with_field(0, [](mp::Packer& p) { p.pack(2); })).code() ==
        Errc::corrupt);
  CHECK(InodeRecord::decode(with_field(2, [](mp::Packer& p) {
          p.pack(uint64_t(1) << 32);
        })).code() == Errc::corrupt);  // mode wider than 32 bits
  CHECK(InodeRecord::decode(with_field(1, [](mp::Packer& p) { p.pack(-1); })).code() ==
        Errc::corrupt);
  CHECK(InodeRecord::decode(with_field(9, [](mp::Packer& p) {
          p.pack_array(2);
          p.pack(0);
          p.pack(1000000000);
        })).code() == Errc::corrupt);  // nanoseconds out of range
  CHECK(InodeRecord::decode(with_field(15, [](mp::Packer& p) {
          mp::pack_bin(p, Bytes(63, 0));
        })).code() == Errc::corrupt);  // short block pointer
  CHECK(InodeRecord::decode(with_field(16, [](mp::Packer& p) { p.pack(9); })).code() ==
        Errc::corrupt);
  CHECK(InodeRecord::decode(with_field(14, [](mp::Packer& p) {
          p.pack(std::string("str"));
        })).code() == Errc::corrupt);  // inline data must be bin
  CHECK(InodeRecord::decode(with_field(16, [](mp::Packer& p) { p.pack(8); })).ok());
}

// Found while writing the inode record fuzz target: the decoder took inline content of any
// size, and FileSystem::ensure_chunks copies it into one chunk buffer (64 KiB) on the first write
// past the inline limit, so a damaged or hostile record overflowed the heap.
TEST_CASE("InodeRecord: inline content past the inline limit is corrupt") {
  InodeRecord r = full_record();
  r.root.reset();
  r.inline_data.assign(InodeRecord::kInlineMax, 'x');
  CHECK(InodeRecord::decode(r.encode()).ok());
  r.inline_data.assign(InodeRecord::kInlineMax + 1, 'x');
  CHECK(InodeRecord::decode(r.encode()).code() == Errc::corrupt);
  r.inline_data.assign(100 << 10, 'x');
  CHECK(InodeRecord::decode(r.encode()).code() == Errc::corrupt);
}

TEST_CASE("InodeRecord: a volume link is version 2 with one more field, and round-trips") {
  InodeRecord r = link_record();
  Bytes enc = r.encode();
  std::string hex = to_hex(enc);
  CHECK(hex.rfind("dc001302", 0) == 0);  // array16 of 19, version 2
  CHECK(hex.size() >= 36);
  CHECK(hex.substr(hex.size() - 36) == "c410" + to_hex(to_bytes("an encoded grant")));
  auto back = must(InodeRecord::decode(enc));
  check_same(back, r);
  // Records without a link keep version 1, byte for byte as before.
  CHECK(to_hex(full_record().encode()).rfind("dc001201", 0) == 0);
}

TEST_CASE("InodeRecord: a link that holds anything of its own, or of a bad size, is corrupt") {
  InodeRecord r = link_record();
  r.entries = 1;
  CHECK(InodeRecord::decode(r.encode()).code() == Errc::corrupt);
  r = link_record();
  r.root = full_record().root;
  CHECK(InodeRecord::decode(r.encode()).code() == Errc::corrupt);
  r = link_record();
  r.mode = S_IFREG | 0644;
  CHECK(InodeRecord::decode(r.encode()).code() == Errc::corrupt);
  r = link_record();
  r.link = std::make_shared<const Secret>(Bytes(InodeRecord::kMaxLink, 7));
  CHECK(InodeRecord::decode(r.encode()).ok());
  r.link = std::make_shared<const Secret>(Bytes(InodeRecord::kMaxLink + 1, 7));
  CHECK(InodeRecord::decode(r.encode()).code() == Errc::corrupt);
  // Version and length must agree: a version 1 record with a link field, a version 2 without.
  Bytes enc = link_record().encode();
  Bytes v1 = enc;
  v1[3] = 0x01;
  CHECK(InodeRecord::decode(v1).code() == Errc::corrupt);
  Bytes plain = full_record().encode();
  plain[3] = 0x02;
  CHECK(InodeRecord::decode(plain).code() == Errc::corrupt);
  for (size_t n = 0; n < enc.size(); ++n) {
    CAPTURE(n);
    CHECK(InodeRecord::decode(ByteView(enc.data(), n)).code() == Errc::corrupt);
  }
}

}  // namespace
}  // namespace peerstore
