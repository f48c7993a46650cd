#include "host/share_commands.h"

#include "host/user_key.h"
#include "keys/signing_key.h"
#include "keys/user_id.h"

namespace peerstore::host {

Result<std::string> whoami(const DataDirLayout& layout) {
  PS_ASSIGN(DecodedKey key, unlock_user_key(layout));
  return UserId::format(SigningKey::from_seed(key.seed).public_key());
}

}  // namespace peerstore::host
