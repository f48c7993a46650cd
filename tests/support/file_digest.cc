// Digests and random contents: see file_digest.h.
#include "support/file_digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace peerstore::test {

Sha256::Sha256() {
  // sodium_init is idempotent and thread-safe; SHA-256 itself needs no set-up, but the library
  // documents init as required before any call.
  if (sodium_init() < 0) abort();
  crypto_hash_sha256_init(&state_);
}

void Sha256::update(std::string_view data) {
  crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}

std::string Sha256::hex() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_, digest);
  char text[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(text, sizeof text, digest, sizeof digest);
  return text;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

std::optional<std::string> sha256_file(const std::string& path, std::string* error,
                                       uint64_t* size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = "open " + path + ": " + strerror(errno);
    return std::nullopt;
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      if (error)
        *error = "read " + path + " at offset " + std::to_string(total) + ": " + strerror(e);
      return std::nullopt;
    }
    if (n == 0) break;
    h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
    total += static_cast<uint64_t>(n);
  }
  if (close(fd) != 0) {
    if (error) *error = "close " + path + ": " + strerror(errno);
    return std::nullopt;
  }
  if (size) *size = total;
  return h.hex();
}

void drop_page_cache(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string random_content(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t state = seed;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = splitmix64(state);
    memcpy(out.data() + i, &v, 8);
  }
  if (i < n) {
    uint64_t v = splitmix64(state);
    memcpy(out.data() + i, &v, n - i);
  }
  return out;
}

}  // namespace peerstore::test
