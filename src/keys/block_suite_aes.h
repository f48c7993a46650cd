// Suite 2 of block sealing (keys/block_cipher.h) on OpenSSL 3: HMAC-SHA-256 convergent keys,
// AES-256-GCM in 4 KiB STREAM segments, SHA-256 ids. Internal to keys/; callers use
// block_cipher.h. Algorithms are fetched once; each thread keeps its own OpenSSL contexts, and
// the cipher context is cleansed after every block. Thread-safe.
#pragma once

#include "common/bytes.h"
#include "common/secret.h"

namespace peerstore::suite2 {

// HMAC-SHA-256(secret, plain) into key[32].
void derive_key(ByteView plain, const Secret& secret, uint8_t* key);
// Seals `plain` into `out` (sealed_size(suite 2, plain.size()) bytes) under key[32].
void seal(ByteView plain, const uint8_t* key, uint8_t* out);
// Opens plaintext bytes [lo, end) of a block whose plaintext is `size` bytes into `out` (lo < end
// <= size; or lo == end == size == 0, which checks an empty block's tag). `part` holds the
// block's sealed bytes from `part_offset` on, at least those of every segment the range
// touches. Errc::corrupt, with `out` zeroed, if one of them is missing or does not authenticate.
Status open_range(ByteView part, size_t part_offset, size_t size, const uint8_t* key, size_t lo,
                  size_t end, uint8_t* out);
// SHA-256 of `data` into out[32].
void sha256(ByteView data, uint8_t* out);

}  // namespace peerstore::suite2
