// exposure(): every version of every file a reader of the volume could read, once each: a file
// rewritten shows both versions, a deleted file stays in the report, and nothing is committed.
#include "fs/exposure.h"

#include <doctest/doctest.h>

#include "../common/must.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

TEST_CASE("exposure: every file of every version, once, deleted ones too") {
  FsHarness h;
  uint64_t d = h.mkdir(kRoot, "docs");
  uint64_t a = h.create(d, "a.txt");
  h.write(a, 0, std::string("v1"));
  REQUIRE(h.fs->commit() == 0);
  h.write(a, 0, std::string("version two"));
  h.write(h.create(kRoot, "b.txt"), 0, std::string("b"));
  REQUIRE(h.fs->commit() == 0);
  REQUIRE(h.fs->unlink(d, "a.txt") == 0);
  REQUIRE(h.fs->commit() == 0);
  uint64_t commits = h.fs->volume().commits();

  Exposure x = must(exposure(h.store, test_volume_keys(), test_device()));
  CHECK(x.problems.empty());
  CHECK(x.versions == 3);  // three commits
  std::map<std::string, std::vector<uint64_t>> sizes;
  for (auto& f : x.files) sizes[f.path].push_back(f.size);
  CHECK(sizes["/docs/a.txt"] == std::vector<uint64_t>{2, 11});
  CHECK(sizes["/b.txt"] == std::vector<uint64_t>{1});
  CHECK(sizes.size() == 2);
  for (auto& f : x.files) CHECK(f.first_seen_ns > 0);
  CHECK(h.fs->volume().commits() == commits);  // read only
  h.reopen();
  CHECK(h.lookup(d, "a.txt") == 0);
}

}  // namespace
}  // namespace peerstore
