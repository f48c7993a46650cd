// What `peerstore ls` and the backup progress print.
#include "client/listing.h"

#include <doctest/doctest.h>

namespace peerstore::client {
namespace {

TEST_CASE("listing: ls -l lines") {
  CHECK(mode_string(S_IFDIR | 0755) == "drwxr-xr-x");
  CHECK(mode_string(S_IFREG | 04711) == "-rws--x--x");
  CHECK(mode_string(S_IFREG | 02640) == "-rw-r-S---");
  CHECK(mode_string(S_IFDIR | 01777) == "drwxrwxrwt");
  CHECK(mode_string(S_IFLNK | 0777) == "lrwxrwxrwx");
  CHECK(mode_string(S_IFIFO | 0600) == "prw-------");
  TreeEntry e;
  e.name = "notes.txt";
  e.st.st_mode = S_IFREG | 0644;
  e.st.st_uid = 1000;
  e.st.st_gid = 100;
  e.st.st_size = 5120;
  e.st.st_mtim.tv_sec = 1764943200;  // 2025-12-05 14:00 UTC
  CHECK(ls_line(e) == "-rw-r--r--  1000   100         5120  2025-12-05 14:00  notes.txt");
  e.name = "l";
  e.st.st_mode = S_IFLNK | 0777;
  CHECK(ls_line(e, "target").ends_with("  l -> target"));
}

}  // namespace
}  // namespace peerstore::client
