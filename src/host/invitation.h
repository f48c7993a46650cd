// Invitation: what `peerstore invite` prints: a one-line token with a member's address and the
// network secret in DATA, which `--join` accepts on a new device (DESIGN §6). Stateless;
// thread-safe.
#pragma once

#include <string>

#include "common/result.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

struct Invitation {
  std::string token;
  std::string address;      // the member the new device joins through
  bool local_only = false;  // a loopback address: another computer cannot reach it
};

// `address`: HOST:PORT of a member, or empty for the node running on DATA.
Result<Invitation> make_invitation(const DataDirLayout& layout, std::string address);

}  // namespace peerstore::host
