#include "fs/brake_log.h"

#include "common/log.h"
#include "common/msgpack_codec.h"
#include "common/record_log.h"
#include "fs/pins.h"

namespace peerstore {
namespace {

Result<BrakeRecord> decode_one(ByteView b) {
  const mp::Limits lim{.array = 5, .map = 0, .str = kMaxPinName, .bin = 0, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(b, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 5, 5));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1) return fail(Errc::corrupt, "mass deletion record of unknown version");
  if (a[1].type != msgpack::type::STR || a[1].via.str.size > kMaxPinName)
    return fail(Errc::corrupt, "a mass deletion record's pin is not a short string");
  BrakeRecord r;
  r.pin.assign(a[1].via.str.ptr, a[1].via.str.size);
  PS_ASSIGN(r.time_ns, mp::get_i64(a[2]));
  PS_ASSIGN(r.removed, mp::get_u64(a[3]));
  PS_ASSIGN(r.files, mp::get_u64(a[4]));
  return r;
}

}  // namespace

Bytes encode_brake(const BrakeRecord& r) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(5);
  pk.pack(uint32_t(1));
  std::string_view pin = std::string_view(r.pin).substr(0, kMaxPinName);
  pk.pack_str(uint32_t(pin.size()));
  pk.pack_str_body(pin.data(), uint32_t(pin.size()));
  pk.pack(r.time_ns);
  pk.pack(r.removed);
  pk.pack(r.files);
  return frame_record(mp::view(buf));
}

std::vector<BrakeRecord> decode_brake_log(ByteView log, bool* damaged) {
  return decode_records<BrakeRecord>(log, kMaxBrakeRecord, kMaxBrakeRecords, decode_one, damaged);
}

Status append_brake(const std::string& file, const BrakeRecord& r) {
  return append_record(file, encode_brake(r));
}

Result<std::vector<BrakeRecord>> read_brakes(const std::string& file) {
  PS_ASSIGN(Bytes all, read_record_log(file, kMaxBrakeRecords * 64));
  bool damaged = false;
  auto out = decode_brake_log(all, &damaged);
  if (damaged)
    log::warn(file + " ends in a damaged record; showing the " + std::to_string(out.size()) +
              " before it");
  return out;
}

}  // namespace peerstore
