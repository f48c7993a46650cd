// What the client commands print and where a backup goes in the tree.
#include <doctest/doctest.h>

#include "host/client_commands.h"

namespace peerstore::host {
namespace {

TEST_CASE("client commands: a backup of DIR goes to /backups/HOST/DIR") {
  CHECK(backup_tree_dir("laptop", "/home/me/docs") == "/backups/laptop/home/me/docs");
  CHECK(backup_tree_dir("laptop", "/") == "/backups/laptop");
  std::string host = this_host();
  CHECK_FALSE(host.empty());
  CHECK(host.find('/') == std::string::npos);
}

TEST_CASE("client commands: the progress line") {
  client::BackupProgress p;
  p.files_done = 120;
  p.files_total = 300;
  p.bytes_done = 12 << 20;
  p.bytes_total = 20 << 20;
  // 12 MiB in 2 s: 6.3 MB/s; 8 MiB left at that rate: 1.3 s.
  CHECK(backup_progress_line(p, 2.0) ==
        "120/300 files, 12.0 MiB of 20.0 MiB, 6.3 MB/s, 0:01 left");
  CHECK(backup_progress_line(client::BackupProgress{}, 0) ==
        "0/0 files, 0 B of 0 B, 0.0 MB/s, ? left");
}

}  // namespace
}  // namespace peerstore::host
