#include "keys/openssl_algorithms.h"

#include <cstdio>
#include <cstdlib>

namespace peerstore::ossl {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "peerstore: OpenSSL failed in %s\n", what);
  std::abort();
}

const Algorithms& algorithms() {
  static const Algorithms a = [] {
    Algorithms f{EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr),
                 EVP_MD_fetch(nullptr, "SHA2-256", nullptr),
                 EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
    require(f.gcm && f.sha256 && f.hmac, "fetching AES-256-GCM, SHA-256 and HMAC");
    return f;
  }();
  return a;
}

}  // namespace peerstore::ossl
