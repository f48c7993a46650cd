#include "client/backup_index.h"

#include "common/file_io.h"
#include "common/msgpack_codec.h"

namespace peerstore::client {

SourceStamp stamp_of(const struct stat& st) {
  auto ns = [](const timespec& t) { return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; };
  return SourceStamp{uint64_t(st.st_dev), uint64_t(st.st_ino), uint64_t(st.st_size), ns(st.st_mtim),
                     ns(st.st_ctim)};
}

Bytes BackupIndex::encode() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(2);
  pk.pack(kVersion);
  pk.pack_array(uint32_t(entries_.size()));
  for (auto& [path, s] : entries_) {
    pk.pack_array(6);
    mp::pack_bin(pk, ByteView(reinterpret_cast<const uint8_t*>(path.data()), path.size()));
    pk.pack(s.dev);
    pk.pack(s.ino);
    pk.pack(s.size);
    pk.pack(s.mtime_ns);
    pk.pack(s.ctime_ns);
  }
  return mp::to_bytes(buf);
}

Result<BackupIndex> BackupIndex::decode(ByteView bytes) {
  Error bad = fail(Errc::corrupt, "damaged backup index");
  if (bytes.size() > kMaxFileBytes) return bad;
  mp::Limits lim;
  // Every entry takes bytes of the input: no array may claim more entries than there are bytes.
  lim.array = std::max<size_t>(bytes.size(), 8);
  lim.map = 0;
  lim.str = 0;
  lim.bin = kMaxPath;
  lim.depth = 3;
  auto oh = mp::unpack(bytes, lim);
  if (!oh) return bad;
  auto top = mp::get_array(oh->get(), 2, 2);
  if (!top) return bad;
  auto version = mp::get_u64((*top)[0]);
  if (!version || *version != kVersion)
    return fail(Errc::corrupt, "backup index of another version");
  auto list = mp::get_array((*top)[1], 0, lim.array);
  if (!list) return bad;
  BackupIndex out;
  for (auto& e : *list) {
    auto f = mp::get_array(e, 6, 6);
    if (!f) return bad;
    auto path = mp::get_bin((*f)[0]);
    auto dev = mp::get_u64((*f)[1]);
    auto ino = mp::get_u64((*f)[2]);
    auto size = mp::get_u64((*f)[3]);
    auto mtime = mp::get_i64((*f)[4]);
    auto ctime = mp::get_i64((*f)[5]);
    if (!path || path->empty() || !dev || !ino || !size || !mtime || !ctime) return bad;
    std::string p(reinterpret_cast<const char*>(path->data()), path->size());
    out.entries_[std::move(p)] = SourceStamp{*dev, *ino, *size, *mtime, *ctime};
  }
  return out;
}

BackupIndex BackupIndex::load(const std::string& path, std::string* warning) {
  auto bytes = read_whole_file(path, kMaxFileBytes);
  if (!bytes) {
    if (bytes.code() != Errc::not_found && warning) *warning = bytes.error().context;
    return {};
  }
  auto index = decode(*bytes);
  if (!index) {
    if (warning)
      *warning = path + " is damaged (" + index.error().context +
                 "); every file is compared with the tree this time";
    return {};
  }
  return std::move(*index);
}

Status BackupIndex::save(const std::string& path) const {
  Bytes b = encode();
  return write_file_durably(path, b, Placement::replace);
}

const SourceStamp* BackupIndex::find(const std::string& source) const {
  auto it = entries_.find(source);
  return it == entries_.end() ? nullptr : &it->second;
}

void BackupIndex::forget_under(const std::string& dir) {
  std::string prefix = dir.ends_with('/') ? dir : dir + "/";
  entries_.erase(dir);
  auto it = entries_.lower_bound(prefix);
  while (it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0)
    it = entries_.erase(it);
}

}  // namespace peerstore::client
