#include "common/msgpack_codec.h"

namespace peerstore::mp {
namespace {
// Keep bin/str pointing into the caller's buffer instead of copying into the zone.
bool reference_all(msgpack::type::object_type, size_t, void*) { return true; }
}  // namespace

Result<msgpack::object_handle> unpack(ByteView data, const Limits& l) {
  if (data.empty()) return fail(Errc::corrupt, "empty record");
  try {
    size_t off = 0;
    msgpack::unpack_limit limit(l.array, l.map, l.str, l.bin, l.ext, l.depth);
    auto oh = msgpack::unpack(reinterpret_cast<const char*>(data.data()), data.size(), off,
                              reference_all, nullptr, limit);
    if (off != data.size()) return fail(Errc::corrupt, "trailing bytes after record");
    return oh;
  } catch (const std::exception& e) {
    return fail(Errc::corrupt, std::string("undecodable record (") + e.what() + ")");
  }
}

Result<uint64_t> get_u64(const Object& o) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) return fail(Errc::corrupt, "expected an unsigned integer");
  return o.via.u64;
}

Result<int64_t> get_i64(const Object& o) {
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  if (o.type == msgpack::type::POSITIVE_INTEGER && o.via.u64 <= uint64_t(INT64_MAX))
    return int64_t(o.via.u64);
  return fail(Errc::corrupt, "expected an integer");
}

Result<ByteView> get_bin(const Object& o) {
  if (o.type != msgpack::type::BIN) return fail(Errc::corrupt, "expected bytes");
  return ByteView(reinterpret_cast<const uint8_t*>(o.via.bin.ptr), o.via.bin.size);
}

Result<Array> get_array(const Object& o, size_t min_len, size_t max_len) {
  if (o.type != msgpack::type::ARRAY) return fail(Errc::corrupt, "expected an array");
  if (o.via.array.size < min_len || o.via.array.size > max_len)
    return fail(Errc::corrupt, "array of unexpected length " + std::to_string(o.via.array.size));
  return Array(o.via.array.ptr, o.via.array.size);
}

bool is_nil(const Object& o) { return o.type == msgpack::type::NIL; }

}  // namespace peerstore::mp
