#include "fs/pins.h"

#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

// "2026-12-05T10-00-00", alone or with a "~" suffix: what fs/retention.h names versions.
bool looks_like_time_name(std::string_view s) {
  static constexpr std::string_view kForm = "dddd-dd-ddTdd-dd-dd";
  if (s.size() < kForm.size()) return false;
  for (size_t i = 0; i < kForm.size(); ++i) {
    bool digit = s[i] >= '0' && s[i] <= '9';
    if (kForm[i] == 'd' ? !digit : s[i] != kForm[i]) return false;
  }
  return s.size() == kForm.size() || s[kForm.size()] == '~';
}

}  // namespace

Status check_pin_name(std::string_view name) {
  if (name.empty()) return fail(Errc::invalid, "a snapshot's name cannot be empty");
  if (name.size() > kMaxPinName)
    return fail(Errc::invalid,
                "a snapshot's name is at most " + std::to_string(kMaxPinName) + " bytes");
  if (name == "." || name == "..") return fail(Errc::invalid, "'.' and '..' are not names");
  for (char c : name)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(Errc::invalid, "a snapshot's name has no '/' or control characters");
  if (looks_like_time_name(name))
    return fail(Errc::invalid,
                "a name like a time (2026-12-05T10-00-00) is an automatic snapshot's; choose "
                "another");
  return {};
}

Bytes encode_pin(const Pin& pin) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(4);
  pk.pack(uint32_t(1));
  mp::pack_bin(pk, pin.head.view());
  pk.pack(pin.pinned_ns);
  std::string_view note = std::string_view(pin.note).substr(0, kMaxPinNote);
  pk.pack_str(uint32_t(note.size()));
  pk.pack_str_body(note.data(), uint32_t(note.size()));
  return mp::to_bytes(buf);
}

Result<Pin> decode_pin(std::string_view name, ByteView value) {
  if (Status st = check_pin_name(name); !st) return fail(Errc::corrupt, st.error().context);
  const mp::Limits lim{.array = 4, .map = 0, .str = kMaxPinNote, .bin = 32, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(value, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 4, 4));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1) return fail(Errc::corrupt, "a pin of unknown version");
  Pin p;
  p.name = std::string(name);
  PS_ASSIGN(auto head, mp::get_bin(a[1]));
  PS_ASSIGN(p.head, Id256::from(head));
  PS_ASSIGN(p.pinned_ns, mp::get_i64(a[2]));
  if (a[3].type != msgpack::type::STR || a[3].via.str.size > kMaxPinNote)
    return fail(Errc::corrupt, "a pin's note is not a short string");
  p.note.assign(a[3].via.str.ptr, a[3].via.str.size);
  return p;
}

}  // namespace peerstore
