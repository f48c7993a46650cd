// The OpenSSL 3 algorithms keys/ uses (AES-256-GCM, SHA-256, HMAC), fetched once for the whole
// process: OpenSSL 3 looks an algorithm up by name on every init given the old
// EVP_aes_256_gcm()-style handles, which costs more than sealing a small block. Internal to
// keys/. Thread-safe (the fetch runs once, under the C++ static-initialisation guard).
#pragma once

#include <openssl/evp.h>

namespace peerstore::ossl {

// OpenSSL fails in these calls only when it cannot allocate or its install is broken: nothing
// a caller could handle, and going on would send or store unsealed data. Aborts with `what`.
void require(bool ok, const char* what);

struct Algorithms {
  EVP_CIPHER* gcm;
  EVP_MD* sha256;
  EVP_MAC* hmac;
};
const Algorithms& algorithms();

}  // namespace peerstore::ossl
