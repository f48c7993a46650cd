// FuseLoop::classify: which requests the leader serves itself (fs/fuse_loop.h). The loop itself
// is proven on a real mount, in tests/mount/fuse_loop.cc.
#include "fs/fuse_loop.h"

#include <doctest/doctest.h>
#include <linux/fuse.h>

#include <cstring>
#include <vector>

namespace peerstore {
namespace {

using Kind = FuseLoop::Kind;

// A request as read from /dev/fuse: the header, then `args`.
template <typename Args>
std::vector<char> request(uint32_t opcode, const Args& args) {
  std::vector<char> out(sizeof(fuse_in_header) + sizeof args);
  fuse_in_header h{};
  h.len = uint32_t(out.size());
  h.opcode = opcode;
  h.unique = 7;
  h.nodeid = 1;
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, &args, sizeof args);
  return out;
}

Kind classify(std::vector<char> bytes, size_t size = SIZE_MAX) {
  fuse_buf buf{};
  buf.mem = bytes.data();
  buf.size = size == SIZE_MAX ? bytes.size() : size;
  return FuseLoop::classify(buf);
}

fuse_read_in read_of(uint32_t size) {
  fuse_read_in r{};
  r.size = size;
  return r;
}

fuse_write_in write_of(uint32_t size) {
  fuse_write_in w{};
  w.size = size;
  return w;
}

TEST_CASE("FuseLoop::classify: small reads spin, small writes and metadata are quick") {
  CHECK(classify(request(FUSE_READ, read_of(4096))) == Kind::quick_read);
  CHECK(classify(request(FUSE_READ, read_of(32 << 10))) == Kind::quick_read);
  CHECK(classify(request(FUSE_READ, read_of((32 << 10) + 1))) == Kind::slow);
  CHECK(classify(request(FUSE_READ, read_of(1 << 20))) == Kind::slow);  // readahead
  CHECK(classify(request(FUSE_WRITE, write_of(4096))) == Kind::quick);
  CHECK(classify(request(FUSE_WRITE, write_of(1 << 20))) == Kind::slow);
  fuse_getattr_in g{};
  for (fuse_opcode op : {FUSE_GETATTR, FUSE_LOOKUP, FUSE_OPEN, FUSE_FLUSH, FUSE_RELEASE,
                         FUSE_READDIRPLUS, FUSE_UNLINK, FUSE_FORGET, FUSE_INTERRUPT})
    CHECK(classify(request(op, g)) == Kind::quick);
  for (fuse_opcode op : {FUSE_FSYNC, FUSE_FSYNCDIR, FUSE_FALLOCATE, FUSE_INIT, FUSE_DESTROY,
                         FUSE_SETLKW, FUSE_IOCTL, FUSE_POLL, fuse_opcode(9999)})
    CHECK(classify(request(op, g)) == Kind::slow);
}

TEST_CASE("FuseLoop::classify: short or spliced requests are slow, never read past the end") {
  auto r = request(FUSE_READ, read_of(4096));
  CHECK(classify(r, sizeof(fuse_in_header)) == Kind::slow);  // arguments cut off
  CHECK(classify(r, sizeof(fuse_in_header) - 1) == Kind::slow);
  CHECK(classify(r, 0) == Kind::slow);
  auto w = request(FUSE_WRITE, write_of(4096));
  CHECK(classify(w, sizeof(fuse_in_header) + sizeof(fuse_write_in) - 1) == Kind::slow);
  fuse_buf spliced{};
  spliced.flags = FUSE_BUF_IS_FD;
  spliced.fd = 0;
  spliced.size = 4096;
  CHECK(FuseLoop::classify(spliced) == Kind::slow);
}

}  // namespace
}  // namespace peerstore
