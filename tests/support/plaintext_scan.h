// plaintext_scan: looks for what a user wrote where only ciphertext may be: every file and
// every entry name under some directories (data directories of mounts and storage nodes),
// searched for given byte strings. Files are streamed in 4 MiB pieces with an overlap, so a
// string across a piece boundary is found, and LMDB files are searched too. Directories on
// another device (live mounts) are not entered. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace peerstore::test {

struct Needle {
  std::string what;   // for messages
  std::string bytes;  // searched for verbatim
};

struct PlaintextScan {
  struct Finding {
    std::string file;
    std::string what;  // the needle's, plus " (in a file name)" for a name
    uint64_t offset = 0;
  };
  int files = 0;                    // regular files searched
  uint64_t bytes = 0;               // their bytes
  std::vector<Finding> found;       // every needle in every file or name
  std::vector<std::string> errors;  // "PATH: what failed": a scan with errors proves nothing
};

// Searches every regular file and every entry name under each of `dirs`.
PlaintextScan scan_for_plaintext(const std::vector<std::string>& dirs,
                                 const std::vector<Needle>& needles);

// Searches one file's content (not its name); adds to `scan`.
void scan_file_for_plaintext(const std::string& path, const std::vector<Needle>& needles,
                             PlaintextScan& scan);

// "WHAT found in FILE at offset N", a line each; "" if nothing was found.
std::string describe_findings(const PlaintextScan& scan);

}  // namespace peerstore::test
