// BackupIndex: its encoding round-trips, a damaged or foreign file is refused (and load() then
// starts empty, saying why), and forget_under drops a directory's files and nothing else.
#include "client/backup_index.h"

#include <doctest/doctest.h>

#include "common/file_io.h"
#include "support/local_tree.h"

namespace peerstore::client {
namespace {

BackupIndex sample() {
  BackupIndex i;
  i.set("/home/me/a", SourceStamp{1, 2, 3, 4, 5});
  i.set("/home/me/dir/b", SourceStamp{1, 3, 0, -7, 8});
  i.set("/home/me/dir2/c", SourceStamp{9, 9, 9, 9, 9});
  i.set("/home/me/dir", SourceStamp{1, 4, 0, 0, 0});
  return i;
}

TEST_CASE("backup index: round trip, and every cut or flipped encoding is refused or sane") {
  BackupIndex i = sample();
  Bytes enc = i.encode();
  auto back = BackupIndex::decode(enc);
  REQUIRE(back.ok());
  CHECK(back->encode() == enc);
  REQUIRE(back->find("/home/me/dir/b"));
  CHECK(*back->find("/home/me/dir/b") == SourceStamp{1, 3, 0, -7, 8});
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK_FALSE(BackupIndex::decode(ByteView(enc.data(), n)).ok());
  for (size_t at = 0; at < enc.size(); ++at) {
    Bytes bad = enc;
    bad[at] ^= 0x5a;
    auto d = BackupIndex::decode(bad);
    if (d) CHECK(d->size() <= i.size());  // a changed value may still decode; never more
  }
  Bytes huge = {0x92, 0x01, 0xdd, 0x7f, 0xff, 0xff, 0xff};  // [1, array of 2^31 - 1]
  CHECK(BackupIndex::decode(huge).code() == Errc::corrupt);
}

TEST_CASE("backup index: load of a missing, damaged or saved file") {
  test::TempDir t;
  std::string warning;
  CHECK(BackupIndex::load(t / "none", &warning).size() == 0);
  CHECK(warning.empty());
  REQUIRE(write_file_durably(t / "bad", as_bytes("garbage"), Placement::replace).ok());
  CHECK(BackupIndex::load(t / "bad", &warning).size() == 0);
  CHECK(warning.find("damaged") != std::string::npos);
  REQUIRE(sample().save(t / "good").ok());
  warning.clear();
  CHECK(BackupIndex::load(t / "good", &warning).size() == 4);
  CHECK(warning.empty());
}

TEST_CASE("backup index: forget_under forgets a directory and what is in it, nothing else") {
  BackupIndex i = sample();
  i.forget_under("/home/me/dir");
  CHECK(i.find("/home/me/dir") == nullptr);
  CHECK(i.find("/home/me/dir/b") == nullptr);
  CHECK(i.find("/home/me/dir2/c") != nullptr);
  CHECK(i.find("/home/me/a") != nullptr);
}

}  // namespace
}  // namespace peerstore::client
