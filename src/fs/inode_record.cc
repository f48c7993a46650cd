#include "fs/inode_record.h"

#include "fs/ptr_codec.h"
#include "store/block_store.h"

namespace peerstore {
namespace {

constexpr size_t kMaxXattrs = 4096;

void pack_time(mp::Packer& pk, const timespec& t) {
  pk.pack_array(2);
  pk.pack(int64_t(t.tv_sec));
  pk.pack(uint32_t(t.tv_nsec));
}

Result<timespec> get_time(const mp::Object& o) {
  PS_ASSIGN(auto a, mp::get_array(o, 2, 2));
  PS_ASSIGN(auto s, mp::get_i64(a[0]));
  PS_ASSIGN(auto ns, mp::get_u64(a[1]));
  if (ns >= 1000000000) return fail(Errc::corrupt, "inode time nanoseconds out of range");
  return timespec{s, long(ns)};
}

template <typename T>
Status get_uint(const mp::Object& o, T& out) {
  PS_ASSIGN(auto v, mp::get_u64(o));
  if (v > std::numeric_limits<T>::max()) return fail(Errc::corrupt, "inode field out of range");
  out = T(v);
  return {};
}

}  // namespace

Bytes InodeRecord::encode() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(link ? 19 : 18);
  pk.pack(uint32_t(link ? 2 : 1));
  pk.pack(ino);
  pk.pack(mode);
  pk.pack(uid);
  pk.pack(gid);
  pk.pack(rdev);
  pk.pack(nlink);
  pk.pack(size);
  pack_time(pk, atime);
  pack_time(pk, mtime);
  pack_time(pk, ctime);
  pack_time(pk, btime);
  pk.pack(parent);
  pk.pack_array(uint32_t(xattrs.size()));
  for (auto& [name, value] : xattrs) {
    pk.pack_array(2);
    mp::pack_bin(pk, as_bytes(name));
    mp::pack_bin(pk, value);
  }
  mp::pack_bin(pk, inline_data);
  pack_ptr(pk, root);
  pk.pack(depth);
  pk.pack(entries);
  if (link) mp::pack_bin(pk, ByteView(link->data(), link->size()));
  return mp::to_bytes(buf);
}

Result<InodeRecord> InodeRecord::decode(ByteView bytes) {
  const mp::Limits lim{.array = kMaxXattrs, .map = 0, .str = 0, .bin = kMaxBlockSize, .depth = 3};
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 18, 19));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1 && version != 2) return fail(Errc::corrupt, "inode record of unknown version");
  if (a.size() != (version == 1 ? 18u : 19u))
    return fail(Errc::corrupt, "inode record of the wrong length for its version");
  InodeRecord r;
  PS_TRY(get_uint(a[1], r.ino));
  PS_TRY(get_uint(a[2], r.mode));
  PS_TRY(get_uint(a[3], r.uid));
  PS_TRY(get_uint(a[4], r.gid));
  PS_TRY(get_uint(a[5], r.rdev));
  PS_TRY(get_uint(a[6], r.nlink));
  PS_TRY(get_uint(a[7], r.size));
  PS_ASSIGN(r.atime, get_time(a[8]));
  PS_ASSIGN(r.mtime, get_time(a[9]));
  PS_ASSIGN(r.ctime, get_time(a[10]));
  PS_ASSIGN(r.btime, get_time(a[11]));
  PS_TRY(get_uint(a[12], r.parent));
  PS_ASSIGN(auto xs, mp::get_array(a[13], 0, kMaxXattrs));
  for (auto& x : xs) {
    PS_ASSIGN(auto pair, mp::get_array(x, 2, 2));
    PS_ASSIGN(auto name, mp::get_bin(pair[0]));
    PS_ASSIGN(auto value, mp::get_bin(pair[1]));
    r.xattrs.emplace(std::string(as_chars(name)), Bytes(value.begin(), value.end()));
  }
  PS_ASSIGN(auto inl, mp::get_bin(a[14]));
  // The file system copies inline content into one chunk buffer when the file grows past it.
  if (inl.size() > kInlineMax) return fail(Errc::corrupt, "inline content too large");
  r.inline_data.assign(inl.begin(), inl.end());
  PS_ASSIGN(r.root, get_ptr(a[15]));
  PS_TRY(get_uint(a[16], r.depth));
  if (r.depth > 8) return fail(Errc::corrupt, "chunk tree too deep");
  PS_TRY(get_uint(a[17], r.entries));
  if (version == 2) {
    PS_ASSIGN(auto link, mp::get_bin(a[18]));
    if (link.empty() || link.size() > kMaxLink)
      return fail(Errc::corrupt, "volume link of a bad size");
    // A link stands for another volume's root: it holds nothing of its own.
    if (!r.is_dir() || r.root || r.entries != 0 || r.depth != 0 || !r.inline_data.empty())
      return fail(Errc::corrupt, "volume link that is not an empty directory");
    r.link = std::make_shared<const Secret>(link);
  }
  return r;
}

}  // namespace peerstore
