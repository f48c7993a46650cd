// Identity: the user's key pair and this device's key pair, loaded from (or created in) the
// config directory. Immutable after load; safe to share between threads.
#pragma once

#include <string>

#include "keys/signing_key.h"

namespace peerstore {

struct Identity {
  SigningKey user;
  SigningKey device;

  // Loads user.key and device.key from `config_dir`, creating missing ones (and the directory,
  // mode 0700). A present but unreadable or damaged file is an error, never replaced.
  static Result<Identity> load_or_create(const std::string& config_dir);
};

}  // namespace peerstore
