// Dataset: a tree of test files whose directories, names, sizes and contents all derive from one
// seed, written through one mount and checked through another: each file by SHA-256, the tree by
// an exact listing. Uses doctest assertions while writing: test thread only. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace peerstore::test {

struct DatasetShape {
  int small_files = 195;           // sizes uniform in [1, small_max]
  uint64_t small_max = 64 * 1024;  //
  int big_files = 5;               // each exactly big_size
  uint64_t big_size = 10 << 20;    //
};

struct DatasetFile {
  std::string path;  // relative to the tree's root
  uint64_t size;
  uint64_t seed;       // of its contents (random_content)
  std::string sha256;  // filled in by write()
};

class Dataset {
 public:
  Dataset(uint64_t seed, DatasetShape shape);

  // Makes the directories and writes every file below `root`, recording its digest. REQUIRE
  // failures name the file and errno.
  void write(const std::string& root);
  // What differs below `root` from what write() wrote: listing differences (missing, extra,
  // wrong type or size) and files whose bytes differ, one line each, at most `limit` lines plus a
  // count of the rest. Empty: identical. With drop_cache, each file's cached pages are dropped
  // before it is read, so the read reaches the file system.
  std::vector<std::string> differences(const std::string& root, bool drop_cache = false,
                                       size_t limit = 25) const;

  // "d DIR" and "f FILE SIZE" lines, sorted: the listing write() produces.
  std::vector<std::string> expected_listing() const;
  const std::vector<DatasetFile>& files() const { return files_; }
  uint64_t total_bytes() const;
  // "200 files, 56.3 MiB, seed N".
  std::string summary() const;

 private:
  uint64_t seed_;
  std::vector<std::string> dirs_;
  std::vector<DatasetFile> files_;
};

// The listing of the tree below `root` in Dataset's form ("l"/"?" lines for other types),
// sorted; on an error reading it, a line "! PATH: ERROR" is included instead of that subtree.
std::vector<std::string> list_tree(const std::string& root);

}  // namespace peerstore::test
