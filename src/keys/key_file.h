// Key files: one secret seed per file, mode 0600. Two formats, both a msgpack array:
//   version 1 (plain):   ["peerstore-key", 1, KIND, SEED]
//   version 2 (wrapped): ["peerstore-key", 2, KIND, SALT, OPSLIMIT, MEMLIMIT, NONCE, SEALED]
// where a wrapped file's SEED is sealed (XChaCha20-Poly1305, KIND as associated data) under a key
// that Argon2id derives from a passphrase (DESIGN §6). Only the user key is ever wrapped; network
// and device keys are plain. Files readable by group or others are refused. Every byte of a file
// is untrusted: sizes and Argon2 limits are capped before anything is allocated. Stateless
// functions; thread-safe (a PassphraseSource is called on the calling thread).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/bytes.h"
#include "common/result.h"
#include "common/secret.h"

namespace peerstore {

// Argon2id cost. The defaults are libsodium's MODERATE (about 0.7 s and 256 MiB on the project's
// machine); tests write files with lower limits through the same format.
struct KdfLimits {
  uint64_t opslimit = 3;
  uint64_t memlimit = uint64_t(256) << 20;
};

// Gives the passphrase of a wrapped file; asked only when the file is wrapped.
using PassphraseSource = std::function<Result<Secret>()>;

struct DecodedKey {
  Secret seed;
  bool wrapped = false;
};

// Decodes the bytes of a key file (no I/O besides the passphrase source). `path` only names the
// file in messages. Errors: corrupt (damaged, another kind, limits over the caps), permission
// (wrong passphrase, or a wrapped file and no source), and whatever the source returns.
Result<DecodedKey> decode_key_file(ByteView file, const std::string& kind, const std::string& path,
                                   const PassphraseSource& passphrase);
// The bytes of a plain file, and of a wrapped one (a fresh salt and nonce each call).
Secret encode_key_file(const std::string& kind, const Secret& seed);
Result<Secret> encode_wrapped_key_file(const std::string& kind, const Secret& seed,
                                       const Secret& passphrase, KdfLimits limits = {});

// Errc::not_found if absent; permission, corrupt otherwise, each with a message for people.
// A wrapped file is unlocked with `passphrase` (none: refused).
Result<DecodedKey> unlock_key_file(const std::string& path, const std::string& kind,
                                   const PassphraseSource& passphrase);
// A plain key file (network, device); a wrapped one is refused.
Result<Secret> read_key_file(const std::string& path, const std::string& kind);
// Creates a plain file exclusively (never overwrites a key).
Status write_key_file(const std::string& path, const std::string& kind, const Secret& seed);
// Replaces the key file at `path` with `seed`, wrapped with `new_passphrase` or plain if it is
// empty, atomically: the file holds the old or the new content whatever happens.
Status replace_key_file(const std::string& path, const std::string& kind, const Secret& seed,
                        const Secret& new_passphrase, KdfLimits limits = {});

}  // namespace peerstore
