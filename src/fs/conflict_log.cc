#include "fs/conflict_log.h"

#include "common/msgpack_codec.h"
#include "common/record_log.h"

namespace peerstore {
namespace {

constexpr size_t kMaxField = 4096 + 256;

void pack_str(mp::Packer& pk, std::string_view s) {
  s = s.substr(0, kMaxField);
  pk.pack_str(uint32_t(s.size()));
  pk.pack_str_body(s.data(), uint32_t(s.size()));
}

Result<std::string> get_str(const mp::Object& o) {
  if (o.type != msgpack::type::STR) return fail(Errc::corrupt, "expected a string");
  if (o.via.str.size > kMaxField) return fail(Errc::corrupt, "string too long");
  return std::string(o.via.str.ptr, o.via.str.size);
}

Result<ConflictRecord> decode_one(ByteView b) {
  const mp::Limits lim{.array = 6, .map = 0, .str = kMaxField, .bin = 0, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(b, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 6, 6));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1) return fail(Errc::corrupt, "conflict record of unknown version");
  ConflictRecord r;
  PS_ASSIGN(r.path, get_str(a[1]));
  PS_ASSIGN(r.copy, get_str(a[2]));
  PS_ASSIGN(r.winner, get_str(a[3]));
  PS_ASSIGN(r.loser, get_str(a[4]));
  PS_ASSIGN(r.time_ns, mp::get_i64(a[5]));
  return r;
}

}  // namespace

Bytes encode_conflict(const ConflictRecord& r) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(6);
  pk.pack(uint32_t(1));
  for (auto* s : {&r.path, &r.copy, &r.winner, &r.loser}) pack_str(pk, *s);
  pk.pack(r.time_ns);
  return frame_record(mp::view(buf));
}

std::vector<ConflictRecord> decode_conflict_log(ByteView log, bool* damaged) {
  return decode_records<ConflictRecord>(log, kMaxConflictRecord, kMaxConflictRecords, decode_one,
                                        damaged);
}

}  // namespace peerstore
