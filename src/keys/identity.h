// Identity: the user's key pair (config directory: the same on every computer of the user) and
// this device's key pair (data directory: one per computer, and the DHT node's identity).
// Immutable after load; safe to share between threads.
#pragma once

#include <string>

#include "keys/key_file.h"
#include "keys/signing_key.h"

namespace peerstore {

struct Identity {
  SigningKey user;
  SigningKey device;

  // Loads user.key from `config_dir` and device.key from `device_dir` (default: the config
  // directory), creating missing ones (and the directories, mode 0700). A present but
  // unreadable or damaged file is an error, never replaced. The device key is kept apart from
  // the user key because a user copies the config directory to each of their computers, and
  // two computers with one device key would collide on the ring and in version vectors.
  // A passphrase-wrapped user key is unlocked with `passphrase` (none: refused); a wrong
  // passphrase is an error, never a reason to create another identity.
  static Result<Identity> load_or_create(const std::string& config_dir,
                                         const std::string& device_dir = {},
                                         const PassphraseSource& passphrase = nullptr);
  static std::string user_key_path(const std::string& config_dir);
  static std::string device_key_path(const std::string& device_dir);
  // The device key alone, for a storage node that has no user.
  static Result<SigningKey> load_or_create_device(const std::string& device_dir);
};

}  // namespace peerstore
