// Helpers for the mount tests: see mount_test_util.h.
#include "mount/mount_test_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace peerstore::test {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

int Fd::close() {
  int rc = fd_ >= 0 ? ::close(fd_) : 0;
  fd_ = -1;
  return rc;
}

UmaskGuard::UmaskGuard(mode_t mask) : saved_(umask(mask)) {}
UmaskGuard::~UmaskGuard() {
  umask(saved_);
}

std::string errno_name(int e) {
  if (e == 0) return "0 (no error)";
  const char* name = strerrorname_np(e);
  return std::string(name ? name : std::to_string(e).c_str()) + " (" + strerror(e) + ")";
}

std::string diff_summary(std::string_view actual, std::string_view expected) {
  if (actual == expected) return {};
  size_t n = std::min(actual.size(), expected.size());
  size_t at =
      std::mismatch(actual.begin(), actual.begin() + n, expected.begin()).first - actual.begin();
  auto hex = [at](std::string_view s) {
    std::string out;
    char buf[4];
    for (size_t i = at; i < s.size() && i < at + 8; ++i) {
      snprintf(buf, sizeof buf, "%02x ", static_cast<unsigned char>(s[i]));
      out += buf;
    }
    return out.empty() ? std::string("<end>") : out;
  };
  return "sizes " + std::to_string(actual.size()) + " vs " + std::to_string(expected.size()) +
         ", first difference at offset " + std::to_string(at) + ": [" + hex(actual) + "] vs [" +
         hex(expected) + "]";
}

Fd open_or_die(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  int e = errno;
  REQUIRE_MESSAGE(fd >= 0, "open " << path << ": " << errno_name(e));
  return Fd(fd);
}

void write_at(int fd, std::string_view data, off_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd, data.data() + done, data.size() - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    int e = errno;
    REQUIRE_MESSAGE(n > 0, "pwrite of " << data.size() - done << " bytes at " << offset + done
                                        << ": " << errno_name(e));
    done += n;
  }
}

std::string read_at(int fd, off_t offset, size_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd, out.data() + done, length - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    int e = errno;
    REQUIRE_MESSAGE(n >= 0, "pread of " << length - done << " bytes at " << offset + done << ": "
                                        << errno_name(e));
    if (n == 0) break;
    done += n;
  }
  out.resize(done);
  return out;
}

void write_file(const std::string& path, std::string_view data, mode_t mode) {
  Fd fd = open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  write_at(fd.get(), data, 0);
  int rc = fd.close();
  int e = errno;
  REQUIRE_MESSAGE(rc == 0, "close " << path << ": " << errno_name(e));
}

std::string read_file(const std::string& path) {
  Fd fd = open_or_die(path, O_RDONLY);
  std::string out;
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    int e = errno;
    REQUIRE_MESSAGE(n >= 0, "read " << path << " at " << out.size() << ": " << errno_name(e));
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  int rc = ::stat(path.c_str(), &st);
  int e = errno;
  REQUIRE_MESSAGE(rc == 0, "stat " << path << ": " << errno_name(e));
  return st;
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  int rc = ::lstat(path.c_str(), &st);
  int e = errno;
  REQUIRE_MESSAGE(rc == 0, "lstat " << path << ": " << errno_name(e));
  return st;
}

struct stat fstat_of(int fd) {
  struct stat st {};
  int rc = ::fstat(fd, &st);
  int e = errno;
  REQUIRE_MESSAGE(rc == 0, "fstat: " << errno_name(e));
  return st;
}

void drop_cache(int fd) {
  fdatasync(fd);  // dirty pages cannot be dropped; after this they are clean
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

std::vector<DirEntry> read_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  int e = errno;
  REQUIRE_MESSAGE(d != nullptr, "opendir " << path << ": " << errno_name(e));
  std::vector<DirEntry> out;
  errno = 0;
  while (dirent* ent = readdir(d)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") out.push_back({name, ent->d_ino, ent->d_type});
    errno = 0;
  }
  e = errno;
  closedir(d);
  REQUIRE_MESSAGE(e == 0, "readdir " << path << ": " << errno_name(e));
  return out;
}

std::vector<std::string> dir_names(const std::string& path) {
  std::vector<std::string> names;
  for (auto& ent : read_dir(path)) names.push_back(ent.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    memcpy(out.data() + i, &z, std::min<size_t>(8, n - i));
  }
  return out;
}

Hasher::Hasher() {
  REQUIRE(sodium_init() >= 0);
  crypto_generichash_init(&state_, nullptr, 0, crypto_generichash_BYTES);
}

void Hasher::update(std::string_view data) {
  crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}

std::string Hasher::hex() {
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash_final(&state_, out, sizeof out);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string hash_hex(std::string_view data) {
  Hasher h;
  h.update(data);
  return h.hex();
}

std::string hash_file(const std::string& path, size_t piece, uint64_t* size) {
  Fd fd = open_or_die(path, O_RDONLY);
  Hasher h;
  std::string buf(piece, '\0');
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    int e = errno;
    REQUIRE_MESSAGE(n >= 0, "read " << path << " at " << total << ": " << errno_name(e));
    if (n == 0) break;
    h.update(std::string_view(buf.data(), n));
    total += n;
  }
  if (size) *size = total;
  return h.hex();
}

size_t count_lines(std::string_view text) {
  if (text.empty()) return 0;
  size_t n = std::count(text.begin(), text.end(), '\n');
  return text.back() == '\n' ? n : n + 1;
}

void check_file(const std::string& path, const std::string& model) {
  Fd fd = open_or_die(path, O_RDONLY);
  drop_cache(fd.get());
  CHECK_EQ(fstat_of(fd.get()).st_size, static_cast<off_t>(model.size()));
  CHECK_BYTES(read_at(fd.get(), 0, model.size() + 10), model);
}

}  // namespace peerstore::test
