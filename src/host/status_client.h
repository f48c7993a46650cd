// ask_node_status: what `peerstore status` does on the network: finds the node (given, or the
// one running on DATA through DATA/node.addr) and asks it for its status over a client-only
// connection admitted by DATA's network secret. Blocks up to 5 s; thread-safe.
#pragma once

#include <string>

#include "common/result.h"
#include "dht/message.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

// `node`: HOST:PORT, or empty for the node running on DATA.
Result<msg::NodeStatus> ask_node_status(const DataDirLayout& layout, std::string node);

}  // namespace peerstore::host
