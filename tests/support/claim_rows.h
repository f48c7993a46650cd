// Reading a data directory's claim book from outside (mount and e2e tests, while the process
// that wrote it is gone): the LMDB C API on DIR/store (or DIR/client/store), read only. Claim
// rows are key volume(32) ‖ block(32), value number(4) ‖ state(1), state 1 = live
// (store/claim_book.h).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace peerstore::test {

// Every key of database `name` in the LMDB environment `dir`, with its value; none if the
// database does not exist.
std::vector<std::pair<std::string, std::string>> lmdb_rows(const std::string& dir,
                                                           const char* name);

struct ClaimRows {
  std::set<std::string> volumes;  // of every row
  std::set<std::string> live;     // blocks with a live claim
  size_t pending = 0;             // rows in any other state
};
// The "claims" database of the environment `dir`; a malformed row fails the test.
ClaimRows claim_rows(const std::string& dir);

}  // namespace peerstore::test
