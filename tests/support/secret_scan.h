// secret_scan: looks for key material where it must never be: every file a test run left under
// a directory (logs, outputs), searched for each secret key it finds there. A key file is one
// of ours in the plain format (msgpack ["peerstore-key", 1, KIND, SEED]; passphrase-wrapped
// files hide their seed and are skipped); its seed is searched as raw bytes, lower and upper
// hex, standard and URL-safe base64 with and without padding, and the start of an invite token.
// Directories on another device (live mounts) and LMDB files are not searched. Stateless;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace peerstore::test {

struct SecretScan {
  int keys = 0;                    // plain key files found
  int files = 0;                   // other files searched
  std::vector<std::string> leaks;  // "FILE holds the KIND key of KEYFILE (as FORM)"
};

// Files named one of `exempt` are not searched (the output of `peerstore invite`, whose job is
// to print the secret).
// The kind and seed of a plain key file at `path`; nullopt for anything else.
struct PlainKey {
  std::string kind, seed;
};
std::optional<PlainKey> read_plain_key(const std::string& path);

SecretScan scan_for_secrets(const std::string& dir, const std::vector<std::string>& exempt = {});

// The forms a 32-byte secret could take in text (raw, hex, base64): what scan_for_secrets
// and the wire capture search for.
std::vector<std::pair<std::string, std::string>> secret_forms(const std::string& raw);

}  // namespace peerstore::test
