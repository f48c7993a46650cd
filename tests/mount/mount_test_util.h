// Helpers shared by the mount tests: an fd owner, whole-buffer I/O on raw syscalls, seeded
// random bytes, BLAKE2b digests, errno assertions that print errno names, and byte comparisons
// that print the first difference instead of megabytes. Uses doctest assertions: test thread
// only, and never inside run_forked() children. Not thread-safe.
#pragma once

#include <dirent.h>
#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace peerstore::test {

constexpr size_t kChunk = 64 * 1024;  // peerstorefs chunk size
constexpr size_t kInlineMax = 4096;   // files up to this size live in the inode record
constexpr uid_t kNobody = 65534;

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);
  // close() and report its result (close can return an error the test cares about).
  int close();

 private:
  int fd_ = -1;
};

// Sets the umask for a scope.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask);
  ~UmaskGuard();
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t saved_;
};

// "ENOENT (No such file or directory)".
std::string errno_name(int e);
// "" if equal, else sizes and the first differing offset with a few bytes of context (hex).
std::string diff_summary(std::string_view actual, std::string_view expected);

// REQUIREs success: opens (with O_CLOEXEC added).
Fd open_or_die(const std::string& path, int flags, mode_t mode = 0644);
// Full-length pwrite/pread loops; REQUIRE on errors. read_at stops early only at EOF.
void write_at(int fd, std::string_view data, off_t offset);
std::string read_at(int fd, off_t offset, size_t length);
// Whole files.
void write_file(const std::string& path, std::string_view data, mode_t mode = 0644);
std::string read_file(const std::string& path);
// REQUIRE that the call works.
struct stat stat_of(const std::string& path);
struct stat lstat_of(const std::string& path);
struct stat fstat_of(int fd);
// Drops clean cached pages so the next read asks the file system, not the page cache.
void drop_cache(int fd);
// Reads the file from the file system (not the page cache) and CHECKs it against `model`: its
// size and every byte.
void check_file(const std::string& path, const std::string& model);

struct DirEntry {
  std::string name;
  ino_t ino;
  unsigned char type;
};
// readdir, without "." and "..". REQUIREs that the directory opens.
std::vector<DirEntry> read_dir(const std::string& path);
std::vector<std::string> dir_names(const std::string& path);  // sorted

// Deterministic pseudo-random bytes (splitmix64), so a failure reproduces.
std::string random_bytes(size_t n, uint64_t seed);
// BLAKE2b-256 (libsodium crypto_generichash), hex.
class Hasher {
 public:
  Hasher();
  void update(std::string_view data);
  std::string hex();

 private:
  crypto_generichash_state state_;
};
std::string hash_hex(std::string_view data);
// Streams a file through Hasher with reads of `piece` bytes; REQUIREs that every read works.
std::string hash_file(const std::string& path, size_t piece = 1 << 20, uint64_t* size = nullptr);

// Lines of text (a final line without '\n' counts; empty lines count).
size_t count_lines(std::string_view text);

}  // namespace peerstore::test

// `expr` must fail with -1 and exactly errno `err`.
#define CHECK_ERRNO(expr, err)                                                             \
  do {                                                                                     \
    errno = 0;                                                                             \
    long long r_ = static_cast<long long>(expr);                                           \
    int e_ = errno;                                                                        \
    CHECK_MESSAGE((r_ == -1 && e_ == (err)), #expr << " returned " << r_ << " with errno " \
                                                   << ::peerstore::test::errno_name(e_)    \
                                                   << "; expected -1 with "                \
                                                   << ::peerstore::test::errno_name(err)); \
  } while (0)

// `expr` must not return -1; prints errno otherwise.
#define CHECK_OK(expr)                                                                  \
  do {                                                                                  \
    errno = 0;                                                                          \
    long long r_ = static_cast<long long>(expr);                                        \
    int e_ = errno;                                                                     \
    CHECK_MESSAGE(r_ != -1, #expr << " failed: " << ::peerstore::test::errno_name(e_)); \
  } while (0)
#define REQUIRE_OK(expr)                                                                  \
  do {                                                                                    \
    errno = 0;                                                                            \
    long long r_ = static_cast<long long>(expr);                                          \
    int e_ = errno;                                                                       \
    REQUIRE_MESSAGE(r_ != -1, #expr << " failed: " << ::peerstore::test::errno_name(e_)); \
  } while (0)

// Byte-exact comparison that reports the first difference, not both buffers.
#define CHECK_BYTES(actual, expected)                                        \
  do {                                                                       \
    std::string d_ = ::peerstore::test::diff_summary((actual), (expected));  \
    CHECK_MESSAGE(d_.empty(), #actual << " != " << #expected << ": " << d_); \
  } while (0)
