#include "sync_harness.h"

#include <map>

#include "../common/must.h"

namespace peerstore::test {

PublicKey device_key(uint8_t n) {
  Bytes seed(32, uint8_t(0xa0 + n));
  return SigningKey::from_seed(Secret(seed)).public_key();
}

Computer::Computer(NetworkLikeStore& net, uint8_t n) {
  fs = open_fs(net, 1000, device_key(n));
}

void Computer::sync() {
  REQUIRE(fs->sync() == 0);
}

std::string Computer::read_text(uint64_t ino) {
  Bytes b = read_all(ino);
  return std::string(b.begin(), b.end());
}

std::vector<std::string> Computer::check_tree() {
  std::vector<std::string> files;
  std::map<uint64_t, uint32_t> names;  // names seen per non-directory inode
  std::set<uint64_t> dirs{kRoot};
  std::vector<std::pair<uint64_t, std::string>> todo{{kRoot, ""}};
  while (!todo.empty()) {
    auto [dir, path] = todo.back();
    todo.pop_back();
    struct stat dst = stat(dir);
    uint32_t subdirs = 0;
    for (auto& name : list(dir)) {
      uint64_t ino = lookup(dir, name);
      REQUIRE_MESSAGE(ino != 0, (path + "/" + name + " is listed but cannot be looked up"));
      struct stat st = stat(ino);
      if (S_ISDIR(st.st_mode)) {
        REQUIRE_MESSAGE(dirs.insert(ino).second,
                        (path + "/" + name + ": a directory listed twice"));
        CHECK_MESSAGE(lookup(ino, "..") == dir, (path + "/" + name + ": .. is not its parent"));
        ++subdirs;
        todo.push_back({ino, path + "/" + name});
      } else {
        ++names[ino];
        files.push_back(path + "/" + name);
      }
    }
    CHECK_MESSAGE(dst.st_nlink == 2 + subdirs,
                  ((path.empty() ? "/" : path) + ": nlink " + std::to_string(dst.st_nlink) +
                   ", subdirectories " + std::to_string(subdirs)));
  }
  for (auto& [ino, n] : names) CHECK_MESSAGE(stat(ino).st_nlink == n, "inode " << ino << " nlink");
  std::sort(files.begin(), files.end());
  return files;
}

void converge(std::vector<Computer*> cs) {
  for (int round = 0; round < 8; ++round) {
    for (auto* c : cs) c->sync();
    bool same = true;
    for (auto* c : cs) same = same && c->table() == cs.front()->table();
    if (same) return;
  }
  FAIL("the computers did not converge to one tree in 8 rounds");
}

}  // namespace peerstore::test
