// Fuzz target: InodeRecord::decode, the value of each inode table entry, read from a block. A
// record that decodes must satisfy what the file system assumes of it (inline content fits the
// inline limit: the first write past it copies the content into one chunk buffer) and re-encode
// to bytes that decode to the same record. The same bytes go to the decoder of a pin
// (fs/pins.h, the value of a hidden attribute of the root inode), which must refuse them or
// decode a pin that survives its own encoding.
#include "fs/inode_record.h"
#include "fs/pins.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace peerstore::fuzz {
// Records as the file system writes them: an inline file with xattrs, a chunked file, a
// directory, a symlink, a volume link.
void make_seeds(Seeds& seeds) {
  InodeRecord file;
  file.ino = 0x1234567890abcdefULL;
  file.mode = S_IFREG | 0644;
  file.uid = file.gid = 1000;
  file.nlink = 1;
  file.size = 5;
  file.atime = file.mtime = file.ctime = file.btime = timespec{1700000000, 123456789};
  file.parent = 1;
  file.xattrs["user.note"] = to_bytes("hello");
  file.xattrs["security.selinux"] = to_bytes("system_u:object_r:fs_t:s0");
  file.inline_data = to_bytes("hello");
  seeds.add("inline-file", file.encode());
  InodeRecord full = file;  // a file of exactly the inline limit
  full.inline_data.assign(InodeRecord::kInlineMax, 'x');
  full.size = full.inline_data.size();
  seeds.add("inline-file-at-limit", full.encode());

  InodeRecord big = file;
  big.xattrs.clear();
  big.inline_data.clear();
  big.size = 10 << 20;
  big.root = BlockPtr{};
  big.root->id.b.fill(3);
  big.root->key.fill(4);
  big.depth = 1;
  big.entries = 160;
  seeds.add("chunked-file", big.encode());

  InodeRecord dir = big;
  dir.mode = S_IFDIR | 0755;
  dir.nlink = 2;
  dir.depth = 0;
  dir.entries = 12;
  dir.atime = timespec{-1, 0};
  seeds.add("directory", dir.encode());

  InodeRecord link = file;
  link.mode = S_IFLNK | 0777;
  link.xattrs.clear();
  link.inline_data = to_bytes("../some/target");
  link.size = link.inline_data.size();
  seeds.add("symlink", link.encode());

  InodeRecord vlink = dir;  // a volume link: an empty directory that names another volume
  vlink.root.reset();
  vlink.entries = 0;
  vlink.link = std::make_shared<const Secret>(Bytes(300, 0x5a));
  seeds.add("volume-link", vlink.encode());
  Pin pin{"before-mass-delete", {}, 1'765'000'000'000'000'000, "1200 of 3000 files removed"};
  pin.head.b.fill(0x3c);
  seeds.add("pin", encode_pin(pin));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto pin = decode_pin("fuzzed", ByteView(data, size))) {
    auto back = decode_pin("fuzzed", encode_pin(*pin));
    fuzz::check(back.ok() && *back == *pin, "a pin does not survive its own encoding");
  } else {
    fuzz::check(pin.code() == Errc::corrupt, "a pin error other than corrupt");
  }
  auto r = InodeRecord::decode(ByteView(data, size));
  if (!r) {
    fuzz::check(r.code() == Errc::corrupt, "an inode record error other than corrupt");
    return 0;
  }
  fuzz::check(r->inline_data.size() <= InodeRecord::kInlineMax,
              "inline content larger than the inline limit (the file system copies it into one "
              "chunk buffer)");
  fuzz::check(r->atime.tv_nsec < 1000000000 && r->mtime.tv_nsec < 1000000000 &&
                  r->ctime.tv_nsec < 1000000000 && r->btime.tv_nsec < 1000000000,
              "an inode time with nanoseconds out of range");
  fuzz::check(!r->link || (r->is_dir() && !r->root && r->entries == 0 &&
                           r->link->size() <= InodeRecord::kMaxLink),
              "a volume link that holds entries of its own or is too large");
  Bytes once = r->encode();
  auto again = InodeRecord::decode(once);
  fuzz::check(again.ok(), "a decoded inode record re-encodes to bytes that do not decode");
  fuzz::check(again->encode() == once, "a re-encoded inode record decodes to another record");
  return 0;
}
