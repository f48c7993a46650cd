// Dataset: see dataset.h.
#include "e2e/dataset.h"

#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "support/file_digest.h"

namespace peerstore::test {
namespace {

// A few levels, so directory blocks of more than one directory cross the network.
const std::vector<std::string> kDirs = {"docs", "docs/reports", "photos", "src", "src/lib/deep"};

void list_into(const std::string& root, const std::string& rel, std::vector<std::string>& out) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = opendir(dir.c_str());
  if (!d) {
    out.push_back("! " + rel + ": opendir: " + strerror(errno));
    return;
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (errno != 0) out.push_back("! " + rel + ": readdir: " + strerror(errno));
  closedir(d);
  for (const auto& name : names) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (lstat((root + "/" + child).c_str(), &st) != 0) {
      out.push_back("! " + child + ": lstat: " + strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
      out.push_back("d " + child);
      list_into(root, child, out);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back("f " + child + " " + std::to_string(st.st_size));
    } else {
      out.push_back((S_ISLNK(st.st_mode) ? "l " : "? ") + child);
    }
  }
}

void write_whole(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  int e = errno;
  REQUIRE_MESSAGE(fd >= 0, "create " << path << ": " << strerror(e));
  size_t done = 0;
  while (done < data.size()) {
    size_t piece = std::min<size_t>(data.size() - done, 1 << 20);
    ssize_t n = ::write(fd, data.data() + done, piece);
    if (n < 0 && errno == EINTR) continue;
    e = errno;
    if (n <= 0) close(fd);
    REQUIRE_MESSAGE(n > 0, "write " << path << " at offset " << done << ": " << strerror(e));
    done += static_cast<size_t>(n);
  }
  int rc = close(fd);
  e = errno;
  REQUIRE_MESSAGE(rc == 0, "close " << path << ": " << strerror(e));
}

}  // namespace

Dataset::Dataset(uint64_t seed, DatasetShape shape) : seed_(seed), dirs_(kDirs) {
  uint64_t rng = seed;
  int total = shape.small_files + shape.big_files;
  // Big files spread over the run rather than all at the end.
  std::set<int> big_at;
  while (static_cast<int>(big_at.size()) < shape.big_files)
    big_at.insert(static_cast<int>(splitmix64(rng) % static_cast<uint64_t>(total)));
  for (int i = 0; i < total; ++i) {
    // The root and every directory get files; the nested ones via the last path part.
    size_t where = splitmix64(rng) % (dirs_.size() + 1);
    std::string dir = where == dirs_.size() ? "" : dirs_[where] + "/";
    bool big = big_at.count(i) > 0;
    char name[32];
    snprintf(name, sizeof name, big ? "big-%03d.bin" : "file-%03d.dat", i);
    uint64_t size = big ? shape.big_size : 1 + splitmix64(rng) % shape.small_max;
    files_.push_back(DatasetFile{dir + name, size, splitmix64(rng), ""});
  }
}

void Dataset::write(const std::string& root) {
  for (const auto& d : dirs_) {
    // mkdir -p: "src/lib/deep" needs "src/lib".
    for (size_t slash = d.find('/');; slash = d.find('/', slash + 1)) {
      std::string part = root + "/" + d.substr(0, slash);
      int rc = mkdir(part.c_str(), 0755);
      int e = errno;
      REQUIRE_MESSAGE((rc == 0 || e == EEXIST), "mkdir " << part << ": " << strerror(e));
      if (slash == std::string::npos) break;
    }
  }
  for (auto& f : files_) {
    std::string data = random_content(f.size, f.seed);
    f.sha256 = sha256_hex(data);
    write_whole(root + "/" + f.path, data);
  }
}

std::vector<std::string> Dataset::expected_listing() const {
  std::set<std::string> dirs;
  for (const auto& d : dirs_)
    for (size_t slash = d.find('/');; slash = d.find('/', slash + 1)) {
      dirs.insert(d.substr(0, slash));
      if (slash == std::string::npos) break;
    }
  std::vector<std::string> out;
  for (const auto& d : dirs) out.push_back("d " + d);
  for (const auto& f : files_) out.push_back("f " + f.path + " " + std::to_string(f.size));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Dataset::differences(const std::string& root, bool drop_cache,
                                              size_t limit) const {
  std::vector<std::string> problems;
  auto report = [&](std::string line) { problems.push_back(std::move(line)); };

  std::vector<std::string> want = expected_listing(), got = list_tree(root);
  std::vector<std::string> missing, extra;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  for (const auto& m : missing) report("listing lacks: " + m);
  for (const auto& x : extra) report("listing has extra: " + x);

  for (const auto& f : files_) {
    REQUIRE_MESSAGE(!f.sha256.empty(), "differences() before write()");
    std::string path = root + "/" + f.path, error;
    if (drop_cache) drop_page_cache(path);
    uint64_t size = 0;
    auto digest = sha256_file(path, &error, &size);
    if (!digest) {
      report("cannot read back " + f.path + ": " + error);
    } else if (size != f.size || *digest != f.sha256) {
      report(f.path + " differs: " + std::to_string(size) + " bytes, sha256 " + *digest +
             "; wrote " + std::to_string(f.size) + " bytes, sha256 " + f.sha256);
    }
  }
  if (problems.size() > limit) {
    size_t rest = problems.size() - limit;
    problems.resize(limit);
    problems.push_back("... and " + std::to_string(rest) + " more");
  }
  return problems;
}

uint64_t Dataset::total_bytes() const {
  uint64_t n = 0;
  for (const auto& f : files_) n += f.size;
  return n;
}

std::string Dataset::summary() const {
  char mib[32];
  snprintf(mib, sizeof mib, "%.1f", static_cast<double>(total_bytes()) / (1 << 20));
  return std::to_string(files_.size()) + " files in " + std::to_string(dirs_.size()) +
         " directories, " + mib + " MiB, seed " + std::to_string(seed_);
}

std::vector<std::string> list_tree(const std::string& root) {
  std::vector<std::string> out;
  list_into(root, "", out);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace peerstore::test
