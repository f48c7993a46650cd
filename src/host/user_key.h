// The user key as the tools unlock it: CONFIG/user.key, with its passphrase if it has one (asked
// on the terminal, or PEERSTORE_PASSPHRASE), and a message that says what to do when there is
// no key yet. Runs on the calling thread.
#pragma once

#include "host/data_dir_layout.h"
#include "keys/key_file.h"

namespace peerstore::host {

// Errc::not_found ("mount PeerStore once to create it, or give --config DIR") without a key;
// the key file's own errors otherwise.
Result<DecodedKey> unlock_user_key(const DataDirLayout& layout);

}  // namespace peerstore::host
