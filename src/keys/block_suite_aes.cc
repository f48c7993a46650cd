#include "keys/block_suite_aes.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "keys/block_cipher.h"
#include "keys/openssl_algorithms.h"

namespace peerstore::suite2 {
namespace {

using ossl::algorithms;
using ossl::require;

// One set of contexts per thread (sealer threads, FUSE threads); freed when the thread ends.
struct Contexts {
  EVP_CIPHER_CTX* cipher = EVP_CIPHER_CTX_new();
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_MAC_CTX* mac = EVP_MAC_CTX_new(algorithms().hmac);
  Contexts() {
    require(cipher && md && mac, "allocating contexts");
    char digest[] = "SHA2-256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    require(EVP_MAC_CTX_set_params(mac, params) == 1, "choosing HMAC's digest");
  }
  ~Contexts() {
    EVP_CIPHER_CTX_free(cipher);
    EVP_MD_CTX_free(md);
    EVP_MAC_CTX_free(mac);
  }
};
Contexts& contexts() {
  thread_local Contexts c;
  return c;
}

constexpr size_t kSealedSegment = kSealSegment + kSealTag;

// STREAM nonce: the segment's index (big-endian) and a flag on the last segment, so segments
// cannot be reordered, dropped from the end or moved between positions.
void segment_nonce(uint64_t index, bool last, uint8_t* iv) {
  std::memset(iv, 0, 12);
  for (int i = 0; i < 8; ++i) iv[7 - i] = uint8_t(index >> (8 * i));
  iv[11] = last ? 1 : 0;
}

size_t segment_count(size_t plain) {
  return plain == 0 ? 1 : (plain + kSealSegment - 1) / kSealSegment;
}

// Cleanses the key schedule when a block is done, whatever path leaves.
struct CipherScope {
  EVP_CIPHER_CTX* ctx;
  ~CipherScope() { EVP_CIPHER_CTX_reset(ctx); }
};

}  // namespace

void derive_key(ByteView plain, const Secret& secret, uint8_t* key) {
  EVP_MAC_CTX* mac = contexts().mac;
  size_t n = 0;
  require(EVP_MAC_init(mac, secret.data(), secret.size(), nullptr) == 1 &&
              EVP_MAC_update(mac, plain.data(), plain.size()) == 1 &&
              EVP_MAC_final(mac, key, &n, 32) == 1 && n == 32,
          "HMAC-SHA-256");
}

void sha256(ByteView data, uint8_t* out) {
  EVP_MD_CTX* md = contexts().md;
  unsigned n = 0;
  require(EVP_DigestInit_ex2(md, algorithms().sha256, nullptr) == 1 &&
              EVP_DigestUpdate(md, data.data(), data.size()) == 1 &&
              EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32,
          "SHA-256");
}

void seal(ByteView plain, const uint8_t* key, uint8_t* out) {
  EVP_CIPHER_CTX* ctx = contexts().cipher;
  CipherScope scope{ctx};
  require(EVP_EncryptInit_ex2(ctx, algorithms().gcm, key, nullptr, nullptr) == 1, "AES key");
  size_t segs = segment_count(plain.size());
  for (size_t s = 0; s < segs; ++s) {
    size_t off = s * kSealSegment;
    size_t len = std::min(kSealSegment, plain.size() - off);
    uint8_t iv[12];
    segment_nonce(s, s + 1 == segs, iv);
    uint8_t* dst = out + s * kSealedSegment;
    int n = 0, fin = 0;
    require(EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) == 1, "AES-GCM nonce");
    if (len > 0)
      require(
          EVP_EncryptUpdate(ctx, dst, &n, plain.data() + off, int(len)) == 1 && size_t(n) == len,
          "AES-GCM");
    require(EVP_EncryptFinal_ex(ctx, dst + n, &fin) == 1 && fin == 0 &&
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, int(kSealTag), dst + len) == 1,
            "AES-GCM tag");
  }
}

Status open_range(ByteView part, size_t part_offset, size_t size, const uint8_t* key, size_t lo,
                  size_t end, uint8_t* out) {
  EVP_CIPHER_CTX* ctx = contexts().cipher;
  CipherScope scope{ctx};
  require(EVP_DecryptInit_ex2(ctx, algorithms().gcm, key, nullptr, nullptr) == 1, "AES key");
  size_t segs = segment_count(size);
  uint8_t bounce[kSealSegment];
  Status st;
  size_t last_seg = end == 0 ? 0 : (end - 1) / kSealSegment;  // end 0: an empty block
  for (size_t s = lo / kSealSegment; s <= last_seg && st.ok(); ++s) {
    size_t off = s * kSealSegment;
    size_t len = std::min(kSealSegment, size - off);
    size_t at = s * kSealedSegment;
    if (at < part_offset || at + len + kSealTag > part_offset + part.size()) {
      st = fail(Errc::corrupt, "block shorter than its segments");
      break;
    }
    const uint8_t* src = part.data() + (at - part_offset);
    // Whole segments inside the range go straight to `out`; the ends go through `bounce`.
    size_t from = std::max(lo, off), to = std::min(end, off + len);
    bool whole = from == off && to == off + len;
    uint8_t* dst = whole ? out + (off - lo) : bounce;
    uint8_t iv[12], tag[kSealTag];
    segment_nonce(s, s + 1 == segs, iv);
    std::memcpy(tag, src + len, kSealTag);
    int n = 0, fin = 0;
    require(EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) == 1 &&
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, int(kSealTag), tag) == 1,
            "AES-GCM nonce");
    if (len > 0) require(EVP_DecryptUpdate(ctx, dst, &n, src, int(len)) == 1, "AES-GCM");
    if (EVP_DecryptFinal_ex(ctx, dst + n, &fin) != 1) {
      st = fail(Errc::corrupt, "block does not authenticate");
      break;
    }
    if (!whole) std::memcpy(out + (from - lo), bounce + (from - off), to - from);
  }
  OPENSSL_cleanse(bounce, sizeof bounce);
  if (!st) std::memset(out, 0, end - lo);  // nothing unauthenticated stays behind
  return st;
}

}  // namespace peerstore::suite2
