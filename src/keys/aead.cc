#include "keys/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <climits>

#include "keys/openssl_algorithms.h"

namespace peerstore {
namespace {

using ossl::require;

class ChaChaPoly final : public Aead {
 public:
  explicit ChaChaPoly(const Secret& key) : key_(key.view()) {
    static_assert(kKeySize == crypto_aead_chacha20poly1305_IETF_KEYBYTES);
    static_assert(kNonceSize == crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
    static_assert(kTagSize == crypto_aead_chacha20poly1305_IETF_ABYTES);
  }
  AeadSuite suite() const override { return AeadSuite::chacha20_poly1305; }
  void seal(uint8_t* data, size_t len, const Nonce& nonce, uint8_t* tag) override {
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(data, tag, nullptr, data, len, nullptr, 0,
                                                       nullptr, nonce.data(), key_.data());
  }
  bool open(uint8_t* data, size_t len, const Nonce& nonce, const uint8_t* tag) override {
    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
               data, nullptr, data, len, tag, nullptr, 0, nonce.data(), key_.data()) == 0;
  }

 private:
  Secret key_;
};

// One OpenSSL context per direction of use, keyed once; each message only sets its nonce.
// EVP_CIPHER_CTX_free cleanses the key schedule.
class AesGcm final : public Aead {
 public:
  explicit AesGcm(const Secret& key) {
    require(sealer_ && opener_, "allocating AES-GCM contexts");
    require(
        EVP_EncryptInit_ex2(sealer_, ossl::algorithms().gcm, key.data(), nullptr, nullptr) == 1 &&
            EVP_DecryptInit_ex2(opener_, ossl::algorithms().gcm, key.data(), nullptr, nullptr) == 1,
        "AES key");
  }
  ~AesGcm() override {
    EVP_CIPHER_CTX_free(sealer_);
    EVP_CIPHER_CTX_free(opener_);
  }
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;

  AeadSuite suite() const override { return AeadSuite::aes256_gcm; }

  void seal(uint8_t* data, size_t len, const Nonce& nonce, uint8_t* tag) override {
    int n = 0, fin = 0;
    require(EVP_EncryptInit_ex2(sealer_, nullptr, nullptr, nonce.data(), nullptr) == 1,
            "AES-GCM nonce");
    for (size_t done = 0; done < len; done += size_t(n))
      require(EVP_EncryptUpdate(sealer_, data + done, &n, data + done, piece(len - done)) == 1,
              "AES-GCM");
    require(EVP_EncryptFinal_ex(sealer_, data + len, &fin) == 1 && fin == 0 &&
                EVP_CIPHER_CTX_ctrl(sealer_, EVP_CTRL_AEAD_GET_TAG, int(kTagSize), tag) == 1,
            "AES-GCM tag");
  }

  bool open(uint8_t* data, size_t len, const Nonce& nonce, const uint8_t* tag) override {
    int n = 0, fin = 0;
    // OpenSSL takes the expected tag through a non-const pointer; it only reads it.
    require(EVP_DecryptInit_ex2(opener_, nullptr, nullptr, nonce.data(), nullptr) == 1 &&
                EVP_CIPHER_CTX_ctrl(opener_, EVP_CTRL_AEAD_SET_TAG, int(kTagSize),
                                    const_cast<uint8_t*>(tag)) == 1,
            "AES-GCM nonce");
    for (size_t done = 0; done < len; done += size_t(n))
      require(EVP_DecryptUpdate(opener_, data + done, &n, data + done, piece(len - done)) == 1,
              "AES-GCM");
    return EVP_DecryptFinal_ex(opener_, data + len, &fin) == 1;
  }

 private:
  // OpenSSL counts lengths in int; pieces stay a multiple of the AES block below that.
  static int piece(size_t left) { return int(std::min<size_t>(left, size_t(1) << 30)); }

  EVP_CIPHER_CTX* sealer_ = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* opener_ = EVP_CIPHER_CTX_new();
};

}  // namespace

const char* aead_suite_name(AeadSuite suite) {
  return suite == AeadSuite::aes256_gcm ? "AES-256-GCM" : "ChaCha20-Poly1305";
}

bool aes_gcm_in_hardware() {
#if defined(__x86_64__)
  static const bool hw = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
  }();
  return hw;
#else
  return true;
#endif
}

std::unique_ptr<Aead> Aead::make(AeadSuite suite, const Secret& key) {
  require(key.size() == kKeySize, "an AEAD key of the wrong size");
  if (suite == AeadSuite::aes256_gcm) return std::make_unique<AesGcm>(key);
  return std::make_unique<ChaChaPoly>(key);
}

}  // namespace peerstore
