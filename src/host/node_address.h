// The node address file: DATA/node.addr holds the address of the node running on DATA while it
// runs, one line, so that `peerstore status --data DATA` and `peerstore invite` find it.
// Stateless functions; thread-safe (a reader never sees a half-written file).
#pragma once

#include <string>

#include "common/result.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

// Written whole under a temporary name and renamed over the file.
Status write_node_address(const DataDirLayout& layout, const std::string& address);
void remove_node_address(const DataDirLayout& layout);
// Errc::not_found, with what to do, when no node runs on DATA (no file, empty, or too long).
Result<std::string> read_node_address(const DataDirLayout& layout);

}  // namespace peerstore::host
