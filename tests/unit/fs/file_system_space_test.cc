// A full store: file data the store could not take is refused with ENOSPC when written, never
// accepted and lost; what was written before stays intact; names and small files (metadata)
// still work from the reserve, and so do deletes; once there is room again, writes work
// without a reopen. If the store fills behind the file system's back, commits fail with
// ENOSPC (not EIO), close() of a file with uncommitted writes reports it, and nothing is lost
// once there is room.
#include <doctest/doctest.h>

#include "../common/must.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;
constexpr uint64_t kChunk = ChunkTree::kChunkSize;
constexpr uint64_t kMiB = 1 << 20;

// Caps the harness's store at what it holds now plus `room`.
void leave_room(FsHarness& h, uint64_t room) {
  constexpr uint64_t kHuge = uint64_t(1) << 40;
  h.store.set_capacity(kHuge);
  uint64_t used = kHuge - must(h.store.space()).free;
  h.store.set_capacity(used + room);
}

TEST_CASE("FileSystem: a full store refuses new data with ENOSPC and loses nothing") {
  FsHarness h;
  uint64_t keep = h.create(kRoot, "keep.bin");
  Bytes keep_data = pattern(3 * kChunk + 17, 1);
  h.write(keep, 0, keep_data);
  REQUIRE(h.fs->commit() == 0);

  // 15 MiB of room on a small store: 4 MiB of it is the reserve and 9 MiB the slack (one write
  // batch), so about 2 MiB of data fit.
  leave_room(h, 15 * kMiB);
  uint64_t big = h.create(kRoot, "big.bin");
  Bytes big_data = pattern(8 * kMiB, 2);
  uint64_t accepted = 0;
  ssize_t r = 0;
  for (uint64_t off = 0; off < big_data.size(); off += 128 << 10) {
    r = h.fs->write(big, off, ByteView(big_data).subspan(off, 128 << 10));
    if (r < 0) break;
    accepted += uint64_t(r);
  }
  CHECK(r == -ENOSPC);
  CHECK(accepted >= kMiB);
  CHECK(accepted <= 2 * kMiB);
  // Everything accepted is committed, and reads back.
  CHECK(h.fs->commit() == 0);
  CHECK(h.fs->flush(big) == 0);
  CHECK(h.stat(big).st_size == int64_t(accepted));
  CHECK(h.read_all(big) == Bytes(big_data.begin(), big_data.begin() + accepted));
  CHECK(h.read_all(keep) == keep_data);
  // Still refused while full; fallocate says so too.
  CHECK_MESSAGE(h.fs->write(big, accepted, ByteView(big_data).subspan(accepted, kChunk)) == -ENOSPC,
                "accepted " << accepted << ", free now " << must(h.store.space()).free);
  CHECK(h.fs->fallocate(big, 0, 0, 4 * kMiB) == ENOSPC);

  // Names and small files are metadata: they go on from the reserve, and so does a delete.
  uint64_t after = h.create(kRoot, "after.txt");
  h.write(after, 0, "after\n");
  uint64_t dir = h.mkdir(kRoot, "dir");
  REQUIRE(h.fs->setxattr(after, "user.k", to_bytes("v"), 0) == 0);
  REQUIRE(h.fs->unlink(kRoot, "big.bin") == 0);
  CHECK(h.fs->commit() == 0);

  // Room again: writing works without a reopen.
  h.store.set_capacity(0);
  uint64_t again = h.create(dir, "again.bin");
  Bytes again_data = pattern(4 * kMiB, 3);
  h.write(again, 0, again_data);
  CHECK(h.fs->commit() == 0);

  h.reopen();
  CHECK(h.read_all(h.lookup(kRoot, "keep.bin")) == keep_data);
  CHECK(h.read_all(h.lookup(kRoot, "after.txt")) == to_bytes("after\n"));
  CHECK(h.read_all(h.lookup(h.lookup(kRoot, "dir"), "again.bin")) == again_data);
  CHECK(h.lookup(kRoot, "big.bin") == 0);
}

TEST_CASE(
    "FileSystem: a store filled by someone else fails commits with ENOSPC, close says so, "
    "and nothing is lost once there is room") {
  FsHarness h;
  uint64_t quiet = h.create(kRoot, "quiet.txt");
  h.write(quiet, 0, "committed");
  REQUIRE(h.fs->commit() == 0);
  uint64_t f = h.create(kRoot, "f.bin");
  Bytes data = pattern(5 * kChunk, 4);
  h.write(f, 0, data);  // accepted: there was room

  leave_room(h, 0);  // another program filled the disk
  CHECK(h.fs->commit() == ENOSPC);
  CHECK(h.fs->flush(f) == ENOSPC);  // the program that wrote it learns at close()
  CHECK(h.fs->flush(quiet) == 0);   // a file with nothing unsaved closes fine
  CHECK(h.read_all(f) == data);     // still served from memory

  h.store.set_capacity(0);  // room again
  CHECK(h.fs->commit() == 0);
  CHECK(h.fs->flush(f) == 0);
  h.reopen();
  CHECK(h.read_all(h.lookup(kRoot, "f.bin")) == data);
  CHECK(h.read_all(h.lookup(kRoot, "quiet.txt")) == to_bytes("committed"));
}

}  // namespace
}  // namespace peerstore
