// readdir cookies: the kernel (and NFS re-export, and `rm -r` that deletes while listing)
// resumes a listing from any cookie it was handed. Resuming from every cookie must reproduce
// the rest of the listing exactly, cookies must survive a remount, and entries removed or
// added between pages must neither duplicate nor hide the others.
#include <doctest/doctest.h>

#include <set>

#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

struct Listed {
  std::string name;
  uint64_t ino;
  mode_t type;
  uint64_t next;
  bool operator==(const Listed&) const = default;
};

std::vector<Listed> list_from(FsHarness& h, uint64_t dir, uint64_t cookie, size_t max = SIZE_MAX,
                              bool plus = false) {
  std::vector<Listed> out;
  int rc = h.fs->readdir(dir, cookie, plus, [&](std::string_view name, const struct stat& st, uint64_t next) {
    out.push_back({std::string(name), st.st_ino, st.st_mode & S_IFMT, next});
    return out.size() < max;
  });
  REQUIRE(rc == 0);
  return out;
}

TEST_CASE("FileSystem: resuming readdir from every cookie of a 5000-entry directory") {
  FsHarness h;
  uint64_t dir = h.mkdir(kRoot, "big");
  std::set<std::string> names;
  for (int i = 0; i < 5000; ++i) {
    std::string n = "entry-" + std::to_string(i);
    if (i % 500 == 0)
      h.mkdir(dir, n);
    else
      h.create(dir, n);
    names.insert(n);
  }
  std::vector<Listed> full = list_from(h, dir, 0);
  REQUIRE(full.size() == 5002);
  CHECK(full[0].name == ".");
  CHECK(full[0].ino == dir);
  CHECK(full[1].name == "..");
  CHECK(full[1].ino == kRoot);
  std::set<std::string> listed;
  std::set<uint64_t> cookies;
  for (size_t i = 2; i < full.size(); ++i) {
    listed.insert(full[i].name);
    CHECK(full[i].ino == h.lookup(dir, full[i].name));
    CHECK(full[i].type == (full[i].name.substr(6) == std::to_string(std::stoi(full[i].name.substr(6)) / 500 * 500) ? S_IFDIR : S_IFREG));
  }
  for (auto& e : full) cookies.insert(e.next);
  CHECK(listed == names);
  CHECK(cookies.size() == full.size());  // every cookie names one place
  CHECK(cookies.count(0) == 0);          // 0 means "from the start"

  // From every cookie, the rest of the listing, exactly.
  size_t bad = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    size_t k = i + 1;
    bool mismatch = false;
    int rc = h.fs->readdir(dir, full[i].next, false, [&](std::string_view name, const struct stat&, uint64_t next) {
      if (k >= full.size() || name != full[k].name || next != full[k].next) {
        mismatch = true;
        return false;
      }
      ++k;
      return true;
    });
    if (rc != 0 || mismatch || k != full.size()) {
      if (bad++ == 0) FAIL_CHECK("resuming after entry " << i << " (" << full[i].name << ") diverged at " << k);
    }
  }
  CHECK(bad == 0);

  // The same listing and cookies after a remount.
  h.reopen();
  CHECK(list_from(h, dir, 0) == full);
  CHECK(list_from(h, dir, full[2500].next) == std::vector<Listed>(full.begin() + 2501, full.end()));
}

TEST_CASE("FileSystem: paging through a directory that changes between pages") {
  FsHarness h;
  uint64_t dir = h.mkdir(kRoot, "d");
  for (int i = 0; i < 600; ++i) h.create(dir, "f" + std::to_string(i));
  std::vector<std::string> seen;
  std::set<std::string> removed, added;
  uint64_t cookie = 0;
  int page = 0;
  for (;;) {
    auto part = list_from(h, dir, cookie, 37);
    if (part.empty()) break;
    for (auto& e : part) seen.push_back(e.name);
    cookie = part.back().next;
    // Like `rm -r`: delete what was just listed, plus one entry not listed yet, and add one.
    for (auto& e : part)
      if (e.name != "." && e.name != ".." && page % 2 == 0) {
        REQUIRE(h.fs->unlink(dir, e.name) == 0);
        removed.insert(e.name);
      }
    std::string fresh = "new" + std::to_string(page);
    h.create(dir, fresh);
    added.insert(fresh);
    ++page;
  }
  std::multiset<std::string> counted(seen.begin(), seen.end());
  for (auto& n : counted) CHECK_MESSAGE(counted.count(n) == 1, n << " listed twice");
  // Every original entry shows up exactly once, whatever happened around it.
  for (int i = 0; i < 600; ++i) CHECK(counted.count("f" + std::to_string(i)) == 1);
  // And the directory now holds exactly the survivors.
  std::set<std::string> now;
  for (auto& n : h.list(dir)) now.insert(n);
  std::set<std::string> expect = added;
  for (int i = 0; i < 600; ++i) expect.insert("f" + std::to_string(i));
  for (auto& n : removed) expect.erase(n);
  CHECK(now == expect);
}

TEST_CASE("FileSystem: readdirplus gives complete attributes and the same cookies") {
  FsHarness h;
  uint64_t d = h.mkdir(kRoot, "d");
  uint64_t f = h.create(d, "f", 0640);
  h.write(f, 0, "12345");
  h.mkdir(d, "sub");
  auto plain = list_from(h, d, 0);
  auto plus = list_from(h, d, 0, SIZE_MAX, true);
  REQUIRE(plus.size() == plain.size());
  for (size_t i = 0; i < plus.size(); ++i) {
    CHECK(plus[i].name == plain[i].name);
    CHECK(plus[i].ino == plain[i].ino);
    CHECK(plus[i].type == plain[i].type);
    CHECK(plus[i].next == plain[i].next);
  }
  int rc = h.fs->readdir(d, 2, true, [&](std::string_view name, const struct stat& st, uint64_t) {
    if (name == "f") {
      CHECK(st.st_size == 5);
      CHECK(st.st_mode == (S_IFREG | 0640));
      CHECK(st.st_nlink == 1);
    } else {
      CHECK(name == "sub");
      CHECK(st.st_nlink == 2);
    }
    return true;
  });
  CHECK(rc == 0);
}

TEST_CASE("FileSystem: readdir of a non-directory and past the end") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "f");
  CHECK(h.fs->readdir(f, 0, false, [](std::string_view, const struct stat&, uint64_t) { return true; }) == ENOTDIR);
  CHECK(h.fs->opendir(f) == ENOTDIR);
  CHECK(h.fs->opendir(kRoot) == 0);
  auto all = list_from(h, kRoot, 0);
  REQUIRE(all.size() == 3);
  CHECK(list_from(h, kRoot, all.back().next).empty());
  CHECK(list_from(h, kRoot, ~0ull).empty());
}

}  // namespace
}  // namespace peerstore
