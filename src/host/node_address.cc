#include "host/node_address.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace peerstore::host {

Status write_node_address(const DataDirLayout& layout, const std::string& address) {
  std::string path = layout.node_address(), tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << address << "\n";
    if (!f.flush()) return fail(Errc::io, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail(Errc::io, "cannot write " + path);
  return {};
}

void remove_node_address(const DataDirLayout& layout) {
  ::unlink(layout.node_address().c_str());
}

Result<std::string> read_node_address(const DataDirLayout& layout) {
  std::ifstream f(layout.node_address());
  std::string addr;
  const std::string& data = layout.data();
  if (!f || !std::getline(f, addr) || addr.empty() || addr.size() > 255)
    return fail(Errc::not_found, "no node is running on " + data +
                                     "; start peerstorefs or peerstore-node with --data " + data +
                                     ", or give --node HOST:PORT");
  return addr;
}

}  // namespace peerstore::host
