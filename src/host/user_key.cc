#include "host/user_key.h"

#include "keys/passphrase.h"

namespace peerstore::host {

Result<DecodedKey> unlock_user_key(const DataDirLayout& layout) {
  std::string path = layout.user_key();
  auto key = unlock_key_file(path, "user", passphrase_for_key("user", path));
  if (!key && key.code() == Errc::not_found)
    return fail(Errc::not_found, "no user key at " + path +
                                     "; mount PeerStore once to create it, or give --config DIR");
  return key;
}

}  // namespace peerstore::host
