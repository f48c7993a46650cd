// SHA-256 digests of byte strings and files (libsodium's crypto_hash_sha256), and deterministic
// pseudo-random file contents, so a test can write data, forget it, and check it later by hash.
// Stateless functions are thread-safe; a Sha256 object is not.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peerstore::test {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::string hex();  // lowercase; ends the digest (call once)

 private:
  crypto_hash_sha256_state state_;
};

std::string sha256_hex(std::string_view data);

// The digest of the whole file, read in 1 MiB pieces, with its size in *size. On any error,
// nullopt and a sentence naming the path and errno in *error.
std::optional<std::string> sha256_file(const std::string& path, std::string* error,
                                       uint64_t* size = nullptr);

// Drops the file's clean pages from the page cache (posix_fadvise DONTNEED), so the next read
// reaches the file system instead of the kernel's copy. Best effort.
void drop_page_cache(const std::string& path);

// Pseudo-random bytes from a splitmix64 stream: the same (n, seed) always gives the same bytes,
// so a failure reproduces from the printed seed.
std::string random_content(size_t n, uint64_t seed);

// One step of splitmix64, for tests that derive their own choices from a seed.
uint64_t splitmix64(uint64_t& state);

}  // namespace peerstore::test
