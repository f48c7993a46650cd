// Extended attributes: the create/replace flags, the size-query protocol (size 0 asks for the
// size, a short buffer is ERANGE) and the limits, as getfattr/setfattr, rsync -X and SELinux-
// free systems expect.
#include <doctest/doctest.h>

#include <sys/xattr.h>

#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

Bytes get(FsHarness& h, uint64_t ino, const std::string& name, int* rc) {
  Bytes out;
  size_t size = 0;
  *rc = h.fs->getxattr(ino, name, 1 << 16, &out, &size);
  return out;
}

TEST_CASE("FileSystem: xattr create and replace flags") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "f");
  int rc;
  CHECK(h.fs->setxattr(f, "user.k", to_bytes("v1"), XATTR_REPLACE) == ENODATA);
  REQUIRE(h.fs->setxattr(f, "user.k", to_bytes("v1"), XATTR_CREATE) == 0);
  CHECK(h.fs->setxattr(f, "user.k", to_bytes("v2"), XATTR_CREATE) == EEXIST);
  CHECK(get(h, f, "user.k", &rc) == to_bytes("v1"));
  REQUIRE(h.fs->setxattr(f, "user.k", to_bytes("v3"), XATTR_REPLACE) == 0);
  CHECK(get(h, f, "user.k", &rc) == to_bytes("v3"));
  REQUIRE(h.fs->setxattr(f, "user.k", to_bytes("v4"), 0) == 0);
  REQUIRE(h.fs->setxattr(f, "user.new", Bytes{}, 0) == 0);  // empty values are allowed
  CHECK(get(h, f, "user.new", &rc).empty());
  CHECK(rc == 0);
  get(h, f, "user.none", &rc);
  CHECK(rc == ENODATA);
}

TEST_CASE("FileSystem: xattr size queries and short buffers") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "f");
  REQUIRE(h.fs->setxattr(f, "user.a", to_bytes("12345"), 0) == 0);
  REQUIRE(h.fs->setxattr(f, "trusted.b", to_bytes("x"), 0) == 0);
  Bytes out;
  size_t size = 0;
  REQUIRE(h.fs->getxattr(f, "user.a", 0, &out, &size) == 0);
  CHECK(size == 5);
  CHECK(h.fs->getxattr(f, "user.a", 4, &out, &size) == ERANGE);
  REQUIRE(h.fs->getxattr(f, "user.a", 5, &out, &size) == 0);
  CHECK(out == to_bytes("12345"));

  REQUIRE(h.fs->listxattr(f, 0, &out, &size) == 0);
  CHECK(size == std::string("trusted.b").size() + 1 + std::string("user.a").size() + 1);
  CHECK(h.fs->listxattr(f, size - 1, &out, &size) == ERANGE);
  REQUIRE(h.fs->listxattr(f, 100, &out, &size) == 0);
  std::string list(out.begin(), out.end());
  CHECK(list == std::string("trusted.b\0user.a\0", 17));
}

TEST_CASE("FileSystem: xattr removal, limits and persistence") {
  FsHarness h;
  uint64_t d = h.mkdir(kRoot, "d");  // directories carry xattrs too
  CHECK(h.fs->removexattr(d, "user.x") == ENODATA);
  REQUIRE(h.fs->setxattr(d, "user.x", to_bytes("1"), 0) == 0);
  REQUIRE(h.fs->removexattr(d, "user.x") == 0);
  int rc;
  get(h, d, "user.x", &rc);
  CHECK(rc == ENODATA);

  CHECK(h.fs->setxattr(d, "", to_bytes("1"), 0) == EINVAL);
  CHECK(h.fs->setxattr(d, std::string(XATTR_NAME_MAX + 1, 'n'), to_bytes("1"), 0) == ERANGE);
  CHECK(h.fs->setxattr(d, "system.posix_acl_access", to_bytes("1"), 0) == EOPNOTSUPP);
  CHECK(h.fs->setxattr(d, "user.big", Bytes(FileSystem::kMaxXattrValue + 1, 1), 0) == E2BIG);
  REQUIRE(h.fs->setxattr(d, "user.max", Bytes(FileSystem::kMaxXattrValue, 1), 0) == 0);
  // The total per inode is bounded too (the record must fit in a block).
  int i = 0;
  while (h.fs->setxattr(d, "user.fill" + std::to_string(i), Bytes(60000, 2), 0) == 0) ++i;
  CHECK(h.fs->setxattr(d, "user.fill" + std::to_string(i), Bytes(60000, 2), 0) == ENOSPC);
  CHECK(i < 5);

  h.reopen();
  Bytes out;
  size_t size;
  REQUIRE(h.fs->getxattr(d, "user.max", 1 << 20, &out, &size) == 0);
  CHECK(out == Bytes(FileSystem::kMaxXattrValue, 1));
  CHECK(h.fs->getxattr(d, "user.x", 100, &out, &size) == ENODATA);
}

}  // namespace
}  // namespace peerstore
