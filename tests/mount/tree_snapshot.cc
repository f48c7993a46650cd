// TreeSnapshot and populate_sample_tree: see tree_snapshot.h.
#include "mount/tree_snapshot.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <sstream>

#include "mount/mount_test_util.h"

namespace peerstore::test {
namespace {

constexpr off_t kWholeHashLimit = off_t(64) << 20;

std::string join(const std::string& root, const std::string& rel) {
  return rel.empty() ? root : root + "/" + rel;
}

// Depth-first list of relative paths (directories before their contents), with listings.
void walk(const std::string& root, const std::string& rel, TreeSnapshot& out) {
  std::string full = join(root, rel);
  std::vector<std::string> names = dir_names(full);
  out[rel].entries = names;
  for (const auto& name : names) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st = lstat_of(join(root, child));
    out[child];  // the lstat result here is not kept: see snapshot_tree for the order
    if (S_ISDIR(st.st_mode)) walk(root, child, out);
  }
}

std::string digest_of(const std::string& path, off_t size) {
  if (size <= kWholeHashLimit) return hash_file(path);
  // Large (sparse) files: the first, middle and last MiB, so a remount check stays quick.
  Fd fd = open_or_die(path, O_RDONLY);
  Hasher h;
  for (off_t at : {off_t(0), size / 2, size - (1 << 20)})
    h.update(read_at(fd.get(), std::max<off_t>(0, at), 1 << 20));
  return "regions:" + h.hex();
}

void read_details(const std::string& root, TreeSnapshot& snap) {
  for (auto& [rel, node] : snap) {
    std::string full = join(root, rel);
    struct stat st = lstat_of(full);
    if (S_ISLNK(st.st_mode)) {
      std::string buf(PATH_MAX + 1, '\0');
      ssize_t n = readlink(full.c_str(), buf.data(), buf.size());
      int e = errno;
      REQUIRE_MESSAGE(n >= 0, "readlink " << full << ": " << errno_name(e));
      node.link_target.assign(buf.data(), n);
    }
    ssize_t size = llistxattr(full.c_str(), nullptr, 0);
    if (size > 0) {
      std::string names(size, '\0');
      size = llistxattr(full.c_str(), names.data(), names.size());
      for (size_t at = 0; size > 0 && at < static_cast<size_t>(size);) {
        std::string name(names.data() + at);
        at += name.size() + 1;
        if (name.rfind("user.", 0) != 0) continue;
        ssize_t vsize = lgetxattr(full.c_str(), name.c_str(), nullptr, 0);
        std::string value(std::max<ssize_t>(vsize, 0), '\0');
        if (vsize > 0) vsize = lgetxattr(full.c_str(), name.c_str(), value.data(), value.size());
        node.xattrs[name] = vsize >= 0 ? value : "<error " + errno_name(errno) + ">";
      }
    }
    if (S_ISREG(st.st_mode)) node.digest = digest_of(full, st.st_size);
  }
}

std::string show_time(const timespec& t) {
  return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

}  // namespace

TreeSnapshot snapshot_tree(const std::string& root, const TreeSnapshot* known) {
  TreeSnapshot snap;
  if (known) {
    // Metadata first, before any read can touch an atime.
    for (const auto& [rel, node] : *known) {
      struct stat st;
      if (lstat(join(root, rel).c_str(), &st) == 0) snap[rel].st = st;
    }
    TreeSnapshot listed;
    walk(root, "", listed);
    for (auto& [rel, node] : listed) {
      snap[rel].entries = node.entries;
      if (!known->count(rel)) snap[rel].st = lstat_of(join(root, rel));
    }
    // Paths that vanished stay out of the snapshot, so the comparison reports them.
    for (auto it = snap.begin(); it != snap.end();)
      it = listed.count(it->first) ? std::next(it) : snap.erase(it);
    read_details(root, snap);
  } else {
    walk(root, "", snap);
    read_details(root, snap);
    for (auto& [rel, node] : snap) node.st = lstat_of(join(root, rel));  // metadata last
  }
  return snap;
}

std::string compare_snapshots(const TreeSnapshot& before, const TreeSnapshot& after,
                              bool compare_atime) {
  std::ostringstream out;
  int shown = 0;
  auto diff = [&](const std::string& path, const std::string& what, const std::string& a,
                  const std::string& b) {
    if (a == b) return;
    if (++shown <= 60) out << "  /" << path << ": " << what << " " << a << " -> " << b << "\n";
  };
  for (const auto& [rel, b] : before) {
    auto it = after.find(rel);
    if (it == after.end()) {
      diff(rel, "exists", "yes", "no");
      continue;
    }
    const NodeState& a = it->second;
    auto n = [](auto v) { return std::to_string(v); };
    diff(rel, "type", n(b.st.st_mode & S_IFMT), n(a.st.st_mode & S_IFMT));
    diff(rel, "mode", n(b.st.st_mode & 07777), n(a.st.st_mode & 07777));
    diff(rel, "uid", n(b.st.st_uid), n(a.st.st_uid));
    diff(rel, "gid", n(b.st.st_gid), n(a.st.st_gid));
    diff(rel, "size", n(b.st.st_size), n(a.st.st_size));
    diff(rel, "nlink", n(b.st.st_nlink), n(a.st.st_nlink));
    diff(rel, "inode", n(b.st.st_ino), n(a.st.st_ino));
    diff(rel, "rdev", n(b.st.st_rdev), n(a.st.st_rdev));
    diff(rel, "mtime", show_time(b.st.st_mtim), show_time(a.st.st_mtim));
    diff(rel, "ctime", show_time(b.st.st_ctim), show_time(a.st.st_ctim));
    if (compare_atime) diff(rel, "atime", show_time(b.st.st_atim), show_time(a.st.st_atim));
    diff(rel, "symlink target", b.link_target, a.link_target);
    diff(rel, "content digest", b.digest, a.digest);
    std::string bx, ax;
    for (const auto& [k, v] : b.xattrs) bx += k + "=" + hash_hex(v).substr(0, 8) + " ";
    for (const auto& [k, v] : a.xattrs) ax += k + "=" + hash_hex(v).substr(0, 8) + " ";
    diff(rel, "xattrs", "[" + bx + "]", "[" + ax + "]");
    std::string be, ae;
    for (const auto& e : b.entries) be += e + " ";
    for (const auto& e : a.entries) ae += e + " ";
    diff(rel, "entries", "[" + be + "]", "[" + ae + "]");
  }
  for (const auto& [rel, a] : after)
    if (!before.count(rel)) diff(rel, "exists", "no", "yes");
  if (shown > 60) out << "  ... " << shown - 60 << " more\n";
  return out.str();
}

void populate_sample_tree(const std::string& root, uint64_t seed) {
  auto p = [&root](const std::string& rel) { return root + "/" + rel; };
  const bool as_root = geteuid() == 0;
  write_file(p("empty"), "", 0644);
  write_file(p("inline-100"), random_bytes(100, seed + 1), 0640);
  write_file(p("inline-4096"), random_bytes(kInlineMax, seed + 2), 0600);
  write_file(p("chunked-4097"), random_bytes(kInlineMax + 1, seed + 3), 0644);
  write_file(p("chunk-65536"), random_bytes(kChunk, seed + 4), 0644);
  write_file(p("chunk-65537"), random_bytes(kChunk + 1, seed + 5), 0644);
  write_file(p("random-300k"), random_bytes(300000, seed + 6), 0444);
  {
    Fd fd = open_or_die(p("sparse-1g"), O_CREAT | O_WRONLY, 0644);
    write_at(fd.get(), "head", 0);
    write_at(fd.get(), "middle", off_t(1) << 29);
    write_at(fd.get(), "tail", off_t(1) << 30);
  }
  write_file(p("setuid"), "#!/bin/sh\n", 0755);
  REQUIRE_OK(chmod(p("setuid").c_str(), 04755));
  write_file(p("odd-mode"), "o", 0);
  REQUIRE_OK(chmod(p("odd-mode").c_str(), 01507));

  REQUIRE_OK(mkdir(p("d").c_str(), 0751));
  REQUIRE_OK(mkdir(p("d/sub").c_str(), 0700));
  REQUIRE_OK(mkdir(p("d/sub/deeper").c_str(), 0755));
  write_file(p("d/sub/deeper/file"), random_bytes(5000, seed + 7));
  REQUIRE_OK(mkdir(p("d/empty-dir").c_str(), 0755));

  REQUIRE_OK(symlink("inline-100", p("link").c_str()));
  std::string long_target;
  while (long_target.size() < 4000) long_target += std::string(99, 'x') + "/";
  long_target.resize(4000);
  REQUIRE_OK(symlink(long_target.c_str(), p("long-link").c_str()));
  REQUIRE_OK(symlink("nowhere/at/all", p("dangling").c_str()));

  write_file(p("hl-a"), "hard linked", 0644);
  REQUIRE_OK(link(p("hl-a").c_str(), p("hl-b").c_str()));
  REQUIRE_OK(link(p("hl-a").c_str(), p("d/hl-c").c_str()));

  std::string big = random_bytes(4096, seed + 8);
  REQUIRE_OK(setxattr(p("inline-100").c_str(), "user.a", "1", 1, 0));
  REQUIRE_OK(setxattr(p("inline-100").c_str(), "user.big", big.data(), big.size(), 0));
  REQUIRE_OK(setxattr(p("empty").c_str(), "user.empty", "", 0, 0));
  REQUIRE_OK(setxattr(p("d").c_str(), "user.dir", "x", 1, 0));

  REQUIRE_OK(mkfifo(p("fifo").c_str(), 0620));
  REQUIRE_OK(mknod(p("made-by-mknod").c_str(), S_IFREG | 0604, 0));
  if (as_root) {
    REQUIRE_OK(chown(p("inline-100").c_str(), 1234, 5678));
    REQUIRE_OK(mkdir(p("owned-dir").c_str(), 0755));
    REQUIRE_OK(chown(p("owned-dir").c_str(), kNobody, kNobody));
    REQUIRE_OK(lchown(p("dangling").c_str(), 42, 43));
    REQUIRE_OK(mknod(p("chardev").c_str(), S_IFCHR | 0600, makedev(1, 3)));
  }

  // Explicit nanosecond times, last, since creating entries changes directory times. The atime
  // is after the mtime and recent, so even relatime keeps it on a later read.
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const timespec file_times[2] = {{now.tv_sec - 60, 123456789}, {1500000000, 999999999}};
  const timespec dir_times[2] = {{now.tv_sec - 30, 1}, {1600000000, 500000001}};
  const timespec link_times[2] = {{now.tv_sec - 10, 7}, {1400000000, 7}};
  REQUIRE_OK(utimensat(AT_FDCWD, p("inline-100").c_str(), file_times, 0));
  REQUIRE_OK(utimensat(AT_FDCWD, p("random-300k").c_str(), file_times, 0));
  REQUIRE_OK(utimensat(AT_FDCWD, p("d/sub/deeper").c_str(), dir_times, 0));
  REQUIRE_OK(utimensat(AT_FDCWD, p("d").c_str(), dir_times, 0));
  REQUIRE_OK(utimensat(AT_FDCWD, p("link").c_str(), link_times, AT_SYMLINK_NOFOLLOW));
}

}  // namespace peerstore::test
