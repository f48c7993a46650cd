#include "dht/handshake.h"

#include "common/msgpack_codec.h"
#include "dht/host_port.h"
#include "dht/node_ref.h"

namespace peerstore {
namespace {

constexpr std::string_view kMagic = "peerstore-hello";

}  // namespace

Bytes Handshake::first_frame() const {
  mp::Buffer buf;
  mp::Packer p(buf);
  p.pack_array(3);
  p.pack(kMagic);
  p.pack(kVersion);
  p.pack(own_listen_);
  return mp::to_bytes(buf);
}

Result<Handshake::Step> Handshake::receive(ByteView frame) {
  mp::Limits limits;
  limits.array = 3;
  limits.map = 0;
  limits.str = kMaxAddressSize;
  limits.bin = 0;
  limits.depth = 2;
  PS_ASSIGN(auto oh, mp::unpack(frame, limits));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 3, 3));
  if (a[0].type != msgpack::type::STR || a[0].as<std::string_view>() != kMagic)
    return fail(Errc::corrupt, "not a peerstore hello");
  PS_ASSIGN(uint64_t version, mp::get_u64(a[1]));
  if (version != kVersion)
    return fail(Errc::corrupt, "hello version " + std::to_string(version) + ", we speak " +
                                   std::to_string(kVersion));
  if (a[2].type != msgpack::type::STR) return fail(Errc::corrupt, "hello without an address");
  std::string listen = a[2].as<std::string>();
  if (!listen.empty()) {
    if (listen.starts_with(kClientAddressPrefix))
      return fail(Errc::corrupt, "hello claims a reserved address");
    if (auto hp = HostPort::parse(listen); !hp)
      return fail(Errc::corrupt, "hello with a bad listen address");
  }
  Step step;
  step.done = Outcome{std::move(listen), nullptr};
  return step;
}

}  // namespace peerstore
