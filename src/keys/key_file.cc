#include "keys/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_io.h"
#include "common/msgpack_codec.h"
#include "keys/passphrase.h"

namespace peerstore {
namespace {

constexpr char kMagic[] = "peerstore-key";
constexpr size_t kMaxKeyFile = 4096;
constexpr size_t kSeedSize = 32;
constexpr size_t kSaltSize = crypto_pwhash_SALTBYTES;
constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kSealedSize = kSeedSize + crypto_aead_xchacha20poly1305_ietf_ABYTES;
// A file names its own Argon2 cost, and a hostile one could ask for terabytes or hours. These
// caps admit libsodium's SENSITIVE level (4 passes, 1 GiB), the strongest a user would choose.
constexpr uint64_t kMaxOpslimit = 2 * crypto_pwhash_OPSLIMIT_SENSITIVE;
constexpr uint64_t kMaxMemlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;
static_assert(KdfLimits{}.opslimit == crypto_pwhash_OPSLIMIT_MODERATE);
static_assert(KdfLimits{}.memlimit == crypto_pwhash_MEMLIMIT_MODERATE);

std::string_view str_of(const msgpack::object& o) {
  return o.type == msgpack::type::STR ? std::string_view(o.via.str.ptr, o.via.str.size)
                                      : std::string_view();
}

// Binds the seed to its kind: a user key's ciphertext moved into a file labelled otherwise fails.
std::string associated_data(const std::string& kind) {
  return std::string(kMagic) + "/2/" + kind;
}

bool limits_allowed(uint64_t ops, uint64_t mem) {
  return ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= kMaxOpslimit &&
         mem >= crypto_pwhash_MEMLIMIT_MIN && mem <= kMaxMemlimit;
}

// The wrapping key; Errc::io if Argon2 cannot get its memory.
Result<Secret> derive_wrapping_key(const Secret& passphrase, ByteView salt, KdfLimits limits,
                                   const std::string& path) {
  Secret key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), limits.opslimit, size_t(limits.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    return fail(Errc::io, "cannot unlock " + path + ": not enough memory for the passphrase's " +
                              std::to_string(limits.memlimit >> 20) + " MiB key derivation");
  return key;
}

Result<DecodedKey> decode_wrapped(mp::Array arr, const std::string& kind, const std::string& path,
                                  const PassphraseSource& passphrase, const Error& damaged) {
  auto salt = mp::get_bin(arr[3]);
  auto ops = mp::get_u64(arr[4]);
  auto mem = mp::get_u64(arr[5]);
  auto nonce = mp::get_bin(arr[6]);
  auto sealed = mp::get_bin(arr[7]);
  if (!salt || salt->size() != kSaltSize || !ops || !mem || !nonce || nonce->size() != kNonceSize ||
      !sealed || sealed->size() != kSealedSize)
    return damaged;
  if (!limits_allowed(*ops, *mem))
    return fail(Errc::corrupt, "identity file " + path +
                                   " asks for a passphrase key derivation beyond PeerStore's "
                                   "limits (" +
                                   std::to_string(kMaxOpslimit) + " passes, " +
                                   std::to_string(kMaxMemlimit >> 20) +
                                   " MiB); it is damaged or was not written by PeerStore");
  if (!passphrase) return fail(Errc::permission, passphrase_needed_message(kind, path));
  PS_ASSIGN(Secret pass, passphrase());
  PS_ASSIGN(Secret key, derive_wrapping_key(pass, *salt, KdfLimits{*ops, *mem}, path));
  DecodedKey out{Secret(kSeedSize), true};
  std::string ad = associated_data(kind);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.seed.data(), nullptr, nullptr, sealed->data(), sealed->size(),
          reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nonce->data(), key.data()) != 0)
    return fail(Errc::permission, "wrong passphrase for " + path);
  return out;
}

// The array's length follows from the version: 4 fields for a plain file, 8 for a wrapped one.
void pack_header(mp::Packer& pk, uint32_t version, const std::string& kind) {
  pk.pack_array(version == 1 ? 4 : 8);
  pk.pack(std::string(kMagic));
  pk.pack(version);
  pk.pack(kind);
}

// The encoded file in wiped memory; the msgpack buffer is wiped before it is freed.
Secret wiped_copy(mp::Buffer& buf) {
  Secret out(mp::view(buf));
  sodium_memzero(buf.data(), buf.size());
  return out;
}

}  // namespace

Result<DecodedKey> decode_key_file(ByteView file, const std::string& kind, const std::string& path,
                                   const PassphraseSource& passphrase) {
  Error damaged = fail(Errc::corrupt, "identity file " + path +
                                          " is damaged; restore it from a backup or move it "
                                          "away to create a new identity");
  if (file.size() > kMaxKeyFile) return damaged;
  mp::Limits limits;
  limits.array = 8;
  limits.map = 0;
  limits.str = 64;
  limits.bin = 64;
  limits.depth = 2;
  auto oh = mp::unpack(file, limits);
  if (!oh) return damaged;
  auto arr = mp::get_array(oh->get(), 4, 8);
  if (!arr || str_of((*arr)[0]) != kMagic) return damaged;
  auto ver = mp::get_u64((*arr)[1]);
  if (!ver || (*ver == 1 && arr->size() != 4) || (*ver == 2 && arr->size() != 8)) return damaged;
  if (*ver == 0) return damaged;
  if (*ver > 2)
    return fail(Errc::corrupt,
                "identity file " + path + " was written by a newer PeerStore; upgrade PeerStore");
  if ((*arr)[2].type != msgpack::type::STR || str_of((*arr)[2]) != kind)
    return fail(Errc::corrupt, "identity file " + path + " holds another kind of key");
  if (*ver == 2) return decode_wrapped(*arr, kind, path, passphrase, damaged);
  auto seed = mp::get_bin((*arr)[3]);
  if (!seed || seed->size() != kSeedSize) return damaged;
  return DecodedKey{Secret(*seed), false};
}

Secret encode_key_file(const std::string& kind, const Secret& seed) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pack_header(pk, 1, kind);
  mp::pack_bin(pk, seed.view());
  return wiped_copy(buf);
}

Result<Secret> encode_wrapped_key_file(const std::string& kind, const Secret& seed,
                                       const Secret& passphrase, KdfLimits limits) {
  if (seed.size() != kSeedSize || !limits_allowed(limits.opslimit, limits.memlimit))
    return fail(Errc::invalid, "a " + kind + " key cannot be wrapped with these parameters");
  uint8_t salt[kSaltSize], nonce[kNonceSize], sealed[kSealedSize];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  PS_ASSIGN(Secret key,
            derive_wrapping_key(passphrase, {salt, sizeof salt}, limits, kind + " key"));
  std::string ad = associated_data(kind);
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, nullptr, seed.data(), seed.size(),
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                             nullptr, nonce, key.data());
  mp::Buffer buf;
  mp::Packer pk(buf);
  pack_header(pk, 2, kind);
  mp::pack_bin(pk, {salt, sizeof salt});
  pk.pack(limits.opslimit);
  pk.pack(limits.memlimit);
  mp::pack_bin(pk, {nonce, sizeof nonce});
  mp::pack_bin(pk, {sealed, sizeof sealed});
  return wiped_copy(buf);
}

Result<DecodedKey> unlock_key_file(const std::string& path, const std::string& kind,
                                   const PassphraseSource& passphrase) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return fail(Errc::not_found, path);
    return fail(Errc::permission, "cannot read identity file " + path + ": " + std::strerror(e) +
                                      "; check its owner and mode (0600)");
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::corrupt, "identity file " + path + " is not a regular file");
  }
  if (st.st_mode & 077) {
    ::close(fd);
    return fail(Errc::permission, "identity file " + path +
                                      " is readable by other users; run 'chmod 600 " + path + "'");
  }
  Secret buf(kMaxKeyFile + 1);  // wiped when freed: a plain file's bytes are the key
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n < 0 || size_t(n) > kMaxKeyFile)
    return fail(Errc::corrupt, "identity file " + path + " is unreadable or too large");
  return decode_key_file({buf.data(), size_t(n)}, kind, path, passphrase);
}

Result<Secret> read_key_file(const std::string& path, const std::string& kind) {
  PS_ASSIGN(auto key, unlock_key_file(path, kind, nullptr));
  return std::move(key.seed);
}

Status write_key_file(const std::string& path, const std::string& kind, const Secret& seed) {
  return write_file_durably(path, encode_key_file(kind, seed).view(), Placement::create_new);
}

Status replace_key_file(const std::string& path, const std::string& kind, const Secret& seed,
                        const Secret& new_passphrase, KdfLimits limits) {
  if (new_passphrase.empty())
    return write_file_durably(path, encode_key_file(kind, seed).view(), Placement::replace);
  PS_ASSIGN(Secret bytes, encode_wrapped_key_file(kind, seed, new_passphrase, limits));
  return write_file_durably(path, bytes.view(), Placement::replace);
}

}  // namespace peerstore
