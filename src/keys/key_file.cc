#include "keys/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <sodium.h>

#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

constexpr char kMagic[] = "peerstore-key";
constexpr size_t kMaxKeyFile = 4096;

// Wipes the raw file bytes once parsed.
struct WipedBuffer {
  Bytes b;
  ~WipedBuffer() { sodium_memzero(b.data(), b.size()); }
};

}  // namespace

Result<Secret> read_key_file(const std::string& path, const std::string& kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return fail(Errc::not_found, path);
    return fail(Errc::permission, "cannot read identity file " + path + ": " + std::strerror(e) +
                                      "; check its owner and mode (0600)");
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::corrupt, "identity file " + path + " is not a regular file");
  }
  if (st.st_mode & 077) {
    ::close(fd);
    return fail(Errc::permission, "identity file " + path +
                                      " is readable by other users; run 'chmod 600 " + path + "'");
  }
  WipedBuffer buf;
  buf.b.resize(kMaxKeyFile + 1);
  ssize_t n = ::read(fd, buf.b.data(), buf.b.size());
  ::close(fd);
  if (n < 0 || size_t(n) > kMaxKeyFile)
    return fail(Errc::corrupt, "identity file " + path + " is unreadable or too large");
  buf.b.resize(size_t(n));
  return decode_key_file(buf.b, kind, "identity file " + path);
}

Result<Secret> decode_key_file(ByteView bytes, const std::string& kind, const std::string& what) {
  auto bad = [&] {
    return fail(Errc::corrupt, what +
                                   " is damaged; restore it from a backup or move it away to "
                                   "create a new identity");
  };
  const mp::Limits lim{.array = 4, .map = 0, .str = 64, .bin = kMaxKeyFile, .depth = 1};
  auto oh = mp::unpack(bytes, lim);
  if (!oh) return bad();
  auto arr = mp::get_array(oh->get(), 4, 4);
  if (!arr) return bad();
  auto magic = (*arr)[0];
  if (magic.type != msgpack::type::STR || std::string_view(magic.via.str.ptr, magic.via.str.size) != kMagic)
    return bad();
  auto ver = mp::get_u64((*arr)[1]);
  if (!ver || *ver != 1) return bad();
  auto k = (*arr)[2];
  if (k.type != msgpack::type::STR || std::string_view(k.via.str.ptr, k.via.str.size) != kind)
    return fail(Errc::corrupt, what + " holds another kind of key");
  auto seed = mp::get_bin((*arr)[3]);
  if (!seed || seed->size() != 32) return bad();
  return Secret(*seed);
}

Status write_key_file(const std::string& path, const std::string& kind, const Secret& seed) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(4);
  pk.pack(std::string(kMagic));
  pk.pack(uint32_t(1));
  pk.pack(kind);
  mp::pack_bin(pk, seed.view());
  // A temporary file of our own (two first starts may race), linked into place at the end.
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return fail(Errc::io, "cannot create a file next to " + path + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, buf.data(), buf.size()) == ssize_t(buf.size()) && ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(buf.data(), buf.size());
  // link() refuses to replace an existing key, unlike rename().
  if (!ok || ::link(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail(e == EEXIST ? Errc::exists : Errc::io, "cannot write " + path + ": " + std::strerror(e));
  }
  ::unlink(tmp.c_str());
  return {};
}

}  // namespace peerstore
