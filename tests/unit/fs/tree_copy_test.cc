// copy_tree, a revoke's rotation: the copy holds the same tree (names, kinds, content, holes,
// modes, owners, times, xattrs, symlinks, hard links, fifos) and reuses no block of the source:
// every chunk is sealed again under the new volume's keys.
#include "fs/tree_copy.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include "../common/must.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

VolumeKeys fresh_keys() {
  Secret r(32), c(32);
  randombytes_buf(r.data(), 32);
  randombytes_buf(c.data(), 32);
  return VolumeKeys{SigningKey::generate(), std::move(r), std::move(c)};
}

struct Seen {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  nlink_t nlink;
  off_t size;
  time_t mtime;
  std::string content;  // files: bytes; symlinks: target
  std::map<std::string, Bytes> xattrs;
  bool operator==(const Seen&) const = default;
};

// Every path below the root with what a program sees of it.
std::map<std::string, Seen> walk(FileSystem& fs) {
  std::map<std::string, Seen> out;
  std::vector<std::pair<uint64_t, std::string>> todo{{kRoot, ""}};
  while (!todo.empty()) {
    auto [dir, path] = todo.back();
    todo.pop_back();
    std::vector<std::string> names;
    REQUIRE(fs.readdir(dir, 0, false, [&](std::string_view n, const struct stat&, uint64_t) {
      if (n != "." && n != "..") names.emplace_back(n);
      return true;
    }) == 0);
    for (auto& name : names) {
      EntryOut e;
      REQUIRE(fs.lookup(dir, name, &e) == 0);
      const struct stat& st = e.attr;
      Seen s{st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_size, st.st_mtim.tv_sec, {}, {}};
      if (S_ISREG(st.st_mode)) {
        Bytes b;
        REQUIRE(fs.read(e.ino, 0, size_t(st.st_size) + 1, &b) == 0);
        s.content = std::string(as_chars(b));
      } else if (S_ISLNK(st.st_mode)) {
        REQUIRE(fs.readlink(e.ino, &s.content) == 0);
      }
      Bytes list;
      size_t n = 0;
      REQUIRE(fs.listxattr(e.ino, 1 << 16, &list, &n) == 0);
      for (size_t at = 0; at < list.size();) {
        size_t end = at;
        while (list[end] != 0) ++end;
        std::string x(list.begin() + long(at), list.begin() + long(end));
        at = end + 1;
        Bytes v;
        REQUIRE(fs.getxattr(e.ino, x, 1 << 16, &v, &n) == 0);
        s.xattrs[x] = v;
      }
      out[path + "/" + name] = s;
      if (S_ISDIR(st.st_mode)) todo.push_back({e.ino, path + "/" + name});
    }
  }
  return out;
}

TEST_CASE("copy_tree: the same tree under new keys, no block reused") {
  FsHarness h;
  uint64_t d = h.mkdir(kRoot, "docs", 0750);
  uint64_t sub = h.mkdir(d, "deep");
  h.write(h.create(sub, "small.txt"), 0, std::string("small"));
  uint64_t big = h.create(d, "big.bin", 0600);
  h.write(big, 0, pattern(300 << 10, 3));
  uint64_t sparse = h.create(kRoot, "sparse");
  h.write(sparse, 10 << 20, std::string("end"));
  h.symlink(kRoot, "link", "docs/big.bin");
  EntryOut out;
  REQUIRE(h.fs->link(big, sub, "big-again", &out) == 0);
  h.fs->forget(big, 1);
  REQUIRE(h.fs->mknod(root_caller(), kRoot, "fifo", S_IFIFO | 0640, 0, &out) == 0);
  h.fs->forget(out.ino, 1);
  REQUIRE(h.fs->setxattr(big, "user.tag", to_bytes("blue"), 0) == 0);
  struct stat in {
  }, got;
  in.st_mtim = {1500000000, 5};
  in.st_atim = {1500000001, 0};
  in.st_uid = 1234;
  in.st_gid = 5678;
  REQUIRE(h.fs->setattr(big, in, FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME, &got) == 0);
  REQUIRE(h.fs->setattr(sub, in, FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MTIME,
                        &got) == 0);
  REQUIRE(h.fs->commit() == 0);
  size_t chunks_before = block_ids_over(h.store, 64 << 10).size();
  REQUIRE(chunks_before >= 4);  // the full chunks of big.bin

  auto vol = must(Volume::open(h.store, fresh_keys(), test_device()));
  FileSystem::Options o;
  o.statfs_path = "/";
  auto to = must(FileSystem::open(std::move(vol), o, root_caller()));
  CopyStats stats = must(copy_tree(*h.fs, *to));
  CHECK(stats.dirs == 2);
  CHECK(stats.files == 3);
  CHECK(stats.symlinks == 1);
  CHECK(stats.hard_links == 1);
  CHECK(stats.specials == 1);
  REQUIRE(to->commit() == 0);

  auto a = walk(*h.fs), b = walk(*to);
  CHECK(a.size() == 8);
  for (auto& [path, seen] : a) {
    CAPTURE(path);
    REQUIRE(b.count(path));
    CHECK(b[path] == seen);
  }
  CHECK(a.size() == b.size());
  // Every chunk of the copy is new: nothing of the old keys reads it.
  CHECK(block_ids_over(h.store, 64 << 10).size() == 2 * chunks_before);
  // The 10 MiB hole stayed a hole: one chunk stored, as in the source.
  struct stat sp;
  EntryOut se;
  REQUIRE(to->lookup(kRoot, "sparse", &se) == 0);
  REQUIRE(to->getattr(se.ino, &sp) == 0);
  CHECK(sp.st_blocks == h.stat(sparse).st_blocks);
  CHECK(sp.st_blocks <= 128);
}

}  // namespace
}  // namespace peerstore
