// Persistence: a commit makes the whole tree durable in the store; a FileSystem opened again
// on the same store (a remount) sees the same names, inode numbers, content and metadata.
// Uncommitted changes are not there. A damaged block fails only the reads that need it.
#include <dirent.h>
#include <doctest/doctest.h>

#include "../common/must.h"
#include "common/msgpack_codec.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;
constexpr uint64_t kChunk = ChunkTree::kChunkSize;

TEST_CASE("FileSystem: everything committed is there after a reopen, with the same inodes") {
  FsHarness h;
  uint64_t docs = h.mkdir(kRoot, "docs", 0750);
  uint64_t deep = h.mkdir(h.mkdir(docs, "a"), "b");
  uint64_t small = h.create(docs, "small.txt", 0600);
  h.write(small, 0, "hello, world");
  uint64_t big = h.create(deep, "big.bin");
  Bytes big_data = pattern(3 * kChunk + 1234, 9);
  h.write(big, 0, big_data);
  uint64_t sparse = h.create(kRoot, "sparse");
  h.write(sparse, uint64_t(1) << 33, "x");
  uint64_t link = h.symlink(docs, "link", "a/b/big.bin");
  EntryOut e;
  REQUIRE(h.fs->link(small, kRoot, "hard", &e) == 0);
  REQUIRE(h.fs->setxattr(big, "user.tag", to_bytes("blue"), 0) == 0);
  uint64_t gone = h.create(kRoot, "gone");
  h.write(gone, 0, pattern(100000, 1));
  REQUIRE(h.fs->unlink(kRoot, "gone") == 0);
  struct stat small_before = h.stat(small);

  h.reopen();

  CHECK(h.lookup(kRoot, "docs") == docs);
  CHECK(h.lookup(docs, "small.txt") == small);
  CHECK(h.lookup(kRoot, "hard") == small);
  CHECK(h.lookup(h.lookup(docs, "a"), "b") == deep);
  CHECK(h.lookup(deep, "big.bin") == big);
  CHECK(h.lookup(docs, "link") == link);
  CHECK(h.lookup(kRoot, "sparse") == sparse);
  CHECK(h.lookup(kRoot, "gone") == 0);

  CHECK(h.read_all(small) == to_bytes("hello, world"));
  CHECK(h.read_all(big) == big_data);
  CHECK(h.read(sparse, uint64_t(1) << 33, 10) == to_bytes("x"));
  std::string target;
  REQUIRE(h.fs->readlink(link, &target) == 0);
  CHECK(target == "a/b/big.bin");
  Bytes v;
  size_t n;
  REQUIRE(h.fs->getxattr(big, "user.tag", 100, &v, &n) == 0);
  CHECK(v == to_bytes("blue"));

  struct stat st = h.stat(small);
  CHECK(st.st_nlink == 2);
  CHECK(st.st_mode == small_before.st_mode);
  CHECK(st.st_mtim.tv_sec == small_before.st_mtim.tv_sec);
  CHECK(st.st_mtim.tv_nsec == small_before.st_mtim.tv_nsec);
  CHECK((h.stat(docs).st_mode & 07777) == 0750);
  CHECK(h.stat(docs).st_nlink == 3);
  CHECK(h.stat(kRoot).st_nlink == 3);
  CHECK(h.list(kRoot).size() == 3);  // docs, sparse, hard

  // A second generation: change, commit, reopen again.
  h.write(big, 10, "patched");
  std::copy_n("patched", 7, big_data.begin() + 10);
  REQUIRE(h.fs->rename(deep, "big.bin", kRoot, "moved.bin", 0) == 0);
  REQUIRE(h.fs->unlink(kRoot, "hard") == 0);
  h.reopen();
  CHECK(h.lookup(kRoot, "moved.bin") == big);
  CHECK(h.read_all(big) == big_data);
  CHECK(h.lookup(deep, "big.bin") == 0);
  CHECK(h.stat(small).st_nlink == 1);
}

TEST_CASE("FileSystem: changes without a commit are not kept") {
  FsHarness h;
  uint64_t kept = h.create(kRoot, "kept");
  h.write(kept, 0, "v1");
  REQUIRE(h.fs->commit() == 0);
  h.write(kept, 0, "v2");
  h.create(kRoot, "lost");
  h.reopen(/*commit_first=*/false);
  CHECK(h.read_all(kept) == to_bytes("v1"));
  CHECK(h.lookup(kRoot, "lost") == 0);
}

TEST_CASE("FileSystem: a commit with nothing changed writes nothing") {
  FsHarness h;
  h.create(kRoot, "f");
  REQUIRE(h.fs->commit() == 0);
  uint64_t blocks = must(h.store.stats()).blocks;
  Bytes head = must(h.store.heads(test_volume_keys().id())).front();
  REQUIRE(h.fs->commit() == 0);
  CHECK(must(h.store.stats()).blocks == blocks);
  CHECK(must(h.store.heads(test_volume_keys().id())).front() == head);
}

TEST_CASE(
    "FileSystem: a damaged block makes the reads of its damaged part fail with EIO, and only "
    "those") {
  MemoryStore backing;
  Bytes a_data = pattern(10000, 1), b_data = pattern(10000, 2);
  uint64_t a, b;
  {
    auto fs = open_fs(backing);
    EntryOut e;
    REQUIRE(fs->create(root_caller(), kRoot, "a", 0644, 0, &e) == 0);
    a = e.ino;
    REQUIRE(fs->write(a, 0, a_data) == ssize_t(a_data.size()));
    REQUIRE(fs->create(root_caller(), kRoot, "b", 0644, 0, &e) == 0);
    b = e.ino;
    REQUIRE(fs->write(b, 0, b_data) == ssize_t(b_data.size()));
    REQUIRE(fs->commit() == 0);
  }
  // A one-chunk file is one block sealed from exactly its content, so its id is known.
  VolumeKeys keys = test_volume_keys();
  BlockId a_chunk = seal_block(a_data, keys.convergence).ptr.id;
  REQUIRE(must(backing.contains(a_chunk)));

  TamperingStore tampering(backing);
  tampering.tamper(a_chunk);
  auto fs = open_fs(tampering);
  Bytes out;
  // The store flips a byte in the middle of the block: plaintext bytes 4096-8191 (its second
  // 4 KiB segment) in suite 2, the whole block in suite 1. Reads that touch it fail.
  CHECK(fs->read(a, 5000, 10, &out) == EIO);
  CHECK(fs->read(a, 0, 10000, &out) == EIO);
  CHECK(fs->read(a, 4000, 200, &out) == EIO);
  if (default_write_suite() == BlockSuite::aes_gcm_sha256) {
    // Suite 2 authenticates each segment: the intact ones still read, and correctly.
    REQUIRE(fs->read(a, 0, 100, &out) == 0);
    CHECK(out == Bytes(a_data.begin(), a_data.begin() + 100));
    REQUIRE(fs->read(a, 8192, 1808, &out) == 0);
    CHECK(out == Bytes(a_data.begin() + 8192, a_data.end()));
  } else {
    CHECK(fs->read(a, 0, 100, &out) == EIO);
  }
  REQUIRE(fs->read(b, 0, 10000, &out) == 0);
  CHECK(out == b_data);
  struct stat st;
  CHECK(fs->getattr(a, &st) == 0);  // the metadata lives elsewhere and is fine
  CHECK(st.st_size == 10000);
  // Overwriting the whole chunk needs no old data: the file is usable again.
  REQUIRE(fs->write(a, 0, b_data) == ssize_t(b_data.size()));
  REQUIRE(fs->read(a, 0, 10000, &out) == 0);
  CHECK(out == b_data);
}

TEST_CASE("FileSystem: a damaged directory block fails that directory with EIO, and only it") {
  MemoryStore backing;
  uint64_t d, inside;
  {
    auto fs = open_fs(backing);
    EntryOut e;
    REQUIRE(fs->mkdir(root_caller(), kRoot, "d", 0755, &e) == 0);
    d = e.ino;
    REQUIRE(fs->create(root_caller(), d, "inside", 0644, 0, &e) == 0);
    inside = e.ino;
    REQUIRE(fs->commit() == 0);
  }
  // The directory's one trie leaf, rebuilt from the documented formats (trie_map.h leaf
  // [0, [[pos, key, value]]], directory.h value = ino (u64 BE) + DT type): sealing is
  // convergent, so this names the stored block, and also checks that the formats hold.
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(2);
  pk.pack(uint32_t(0));
  pk.pack_array(1);
  pk.pack_array(3);
  pk.pack(name_pos("inside"));
  mp::pack_bin(pk, as_bytes("inside"));
  Bytes value(9);
  put_u64be(value.data(), inside);
  value[8] = DT_REG;
  mp::pack_bin(pk, value);
  BlockId leaf = seal_block(mp::to_bytes(buf), test_volume_keys().convergence).ptr.id;
  REQUIRE(must(backing.contains(leaf)));

  TamperingStore tampering(backing);
  tampering.tamper(leaf);
  auto fs = open_fs(tampering);
  EntryOut e;
  REQUIRE(fs->lookup(kRoot, "d", &e) == 0);  // the parent's listing is intact
  CHECK(fs->lookup(d, "inside", &e) == EIO);
  CHECK(fs->readdir(d, 2, false,
                    [](std::string_view, const struct stat&, uint64_t) { return true; }) == EIO);
  CHECK(fs->create(root_caller(), d, "new", 0644, 0, &e) == EIO);
  REQUIRE(fs->create(root_caller(), kRoot, "elsewhere", 0644, 0, &e) == 0);
  CHECK(fs->commit() == 0);
}

// Every block in the store whose id is `suite`'s hash of its bytes (heads are always suite 1's).
size_t blocks_hashed_with(MemoryStore& store, BlockSuite suite) {
  size_t n = 0;
  REQUIRE(store.for_each_id([&](const BlockId& id, size_t) {
    if (hash_block(must(store.get(id)), suite) == id) ++n;
    return true;
  }));
  return n;
}

TEST_CASE("FileSystem: a volume written with block suite 1 stays readable and writable") {
  // Volumes written before suite 2 existed: every block suite 1. After the upgrade they open,
  // read and take changes, old and new blocks side by side.
  FsHarness h;
  h.suite = BlockSuite::xchacha_blake2b;
  h.reopen();
  uint64_t dir = h.mkdir(kRoot, "dir");
  uint64_t small = h.create(dir, "small");
  h.write(small, 0, std::string("tiny"));
  uint64_t big = h.create(dir, "big");
  Bytes content = pattern(3 * kChunk + 1234, 7);
  h.write(big, 0, content);
  h.symlink(kRoot, "link", "dir/big");
  h.reopen();
  REQUIRE(blocks_hashed_with(h.store, BlockSuite::aes_gcm_sha256) == 0);
  size_t old_blocks = blocks_hashed_with(h.store, BlockSuite::xchacha_blake2b);
  REQUIRE(old_blocks > 4);

  h.suite = BlockSuite::aes_gcm_sha256;
  h.reopen();
  CHECK(h.read_all(big) == content);
  CHECK(h.read(big, kChunk + 100, 5000) ==
        Bytes(content.begin() + kChunk + 100, content.begin() + kChunk + 5100));
  CHECK(h.read_all(small) == to_bytes("tiny"));
  // Change one chunk and add another: new blocks are suite 2, the rest stay as they were.
  Bytes patch = pattern(4096, 9);
  h.write(big, kChunk + 70, patch);
  std::copy(patch.begin(), patch.end(), content.begin() + kChunk + 70);
  Bytes more = pattern(kChunk, 11);
  h.write(big, content.size(), more);
  content.insert(content.end(), more.begin(), more.end());
  uint64_t fresh = h.create(dir, "fresh");
  h.write(fresh, 0, pattern(2 * kChunk, 12));
  h.reopen();
  CHECK(blocks_hashed_with(h.store, BlockSuite::aes_gcm_sha256) > 3);
  CHECK(h.read_all(big) == content);
  CHECK(h.read_all(small) == to_bytes("tiny"));
  CHECK(h.read_all(fresh) == pattern(2 * kChunk, 12));
  CHECK(h.lookup(kRoot, "link") != 0);
}

}  // namespace
}  // namespace peerstore
