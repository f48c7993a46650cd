#include "keys/identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/dirs.h"
#include "keys/key_file.h"

namespace peerstore {
namespace {

Result<SigningKey> load_or_create_key(const std::string& path, const std::string& kind,
                                      const PassphraseSource& passphrase = nullptr) {
  auto stored = unlock_key_file(path, kind, passphrase);
  if (stored) return SigningKey::from_seed(stored->seed);
  if (stored.code() != Errc::not_found) return stored.error();
  SigningKey k = SigningKey::generate();
  auto st = write_key_file(path, kind, k.seed());
  if (st.code() == Errc::exists) {  // another process created it first: use theirs
    PS_ASSIGN(auto theirs, unlock_key_file(path, kind, passphrase));
    return SigningKey::from_seed(theirs.seed);
  }
  if (!st) return st.error();
  return k;
}

}  // namespace

std::string Identity::user_key_path(const std::string& config_dir) {
  return config_dir + "/user.key";
}

std::string Identity::device_key_path(const std::string& device_dir) {
  return device_dir + "/device.key";
}

Result<Identity> Identity::load_or_create(const std::string& config_dir,
                                          const std::string& device_dir,
                                          const PassphraseSource& passphrase) {
  const std::string& dev_dir = device_dir.empty() ? config_dir : device_dir;
  PS_TRY(make_dirs(config_dir));
  PS_TRY(make_dirs(dev_dir));
  PS_ASSIGN(auto user, load_or_create_key(user_key_path(config_dir), "user", passphrase));
  PS_ASSIGN(auto device, load_or_create_key(device_key_path(dev_dir), "device"));
  return Identity{std::move(user), std::move(device)};
}

}  // namespace peerstore

namespace peerstore {

Result<SigningKey> Identity::load_or_create_device(const std::string& device_dir) {
  PS_TRY(make_dirs(device_dir));
  return load_or_create_key(device_key_path(device_dir), "device");
}

}  // namespace peerstore
