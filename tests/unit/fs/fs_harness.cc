#include "fs_harness.h"

#include <fuse_lowlevel.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace peerstore::test {

VolumeKeys test_volume_keys() {
  Bytes seed(32, 0x5a);
  return VolumeKeys::derive_home(SigningKey::from_seed(Secret(seed)));
}

PublicKey test_device() {
  Bytes seed(32, 0xd1);
  return SigningKey::from_seed(Secret(seed)).public_key();
}

Caller root_caller() {
  return Caller{0, 0};
}

std::unique_ptr<FileSystem> open_fs(LocalStore& store, int commit_interval_ms) {
  return open_fs(store, commit_interval_ms, test_device());
}

std::unique_ptr<FileSystem> open_fs(LocalStore& store, int commit_interval_ms,
                                    const PublicKey& device, BlockSuite suite,
                                    HealthSource* health) {
  auto vol = Volume::open(store, test_volume_keys(), device, suite);
  REQUIRE_MESSAGE(vol.ok(), (vol.ok() ? std::string() : vol.error().message()));
  FileSystem::Options opts;
  opts.statfs_path = "/";
  opts.commit_interval_ms = commit_interval_ms;
  opts.space_probe_ms = 0;  // tests change the store's capacity and expect it seen at once
  opts.health = health;
  auto fs = FileSystem::open(std::move(*vol), opts, root_caller());
  REQUIRE_MESSAGE(fs.ok(), (fs.ok() ? std::string() : fs.error().message()));
  return std::move(*fs);
}

void TamperingStore::tamper(const BlockId& id) {
  std::lock_guard lock(mu_);
  tampered_.insert(id);
}

Result<Bytes> TamperingStore::get(const BlockId& id) {
  auto r = inner_.get(id);
  std::lock_guard lock(mu_);
  if (r.ok() && tampered_.count(id) && !r->empty()) (*r)[r->size() / 2] ^= 0x01;
  return r;
}

Status TamperingStore::view(const BlockId& id, const std::function<Status(ByteView)>& fn) {
  PS_ASSIGN(Bytes b, get(id));
  return fn(b);
}

void FsHarness::reopen(bool commit_first) {
  if (commit_first) REQUIRE(fs->commit() == 0);
  fs.reset();
  fs = open_fs(store, 1000, test_device(), suite, health);
}

uint64_t FsHarness::create(uint64_t parent, const std::string& name, mode_t mode) {
  EntryOut e;
  int rc = fs->create(root_caller(), parent, name, mode, O_RDWR, &e);
  REQUIRE_MESSAGE(rc == 0, "create " << name << ": " << strerror(rc));
  fs->release(e.ino);  // tests address files by inode; no open handle needed
  return e.ino;
}

uint64_t FsHarness::mkdir(uint64_t parent, const std::string& name, mode_t mode) {
  EntryOut e;
  int rc = fs->mkdir(root_caller(), parent, name, mode, &e);
  REQUIRE_MESSAGE(rc == 0, "mkdir " << name << ": " << strerror(rc));
  return e.ino;
}

uint64_t FsHarness::symlink(uint64_t parent, const std::string& name, const std::string& target) {
  EntryOut e;
  int rc = fs->symlink(root_caller(), target, parent, name, &e);
  REQUIRE_MESSAGE(rc == 0, "symlink " << name << ": " << strerror(rc));
  return e.ino;
}

uint64_t FsHarness::lookup(uint64_t parent, const std::string& name) {
  EntryOut e;
  int rc = fs->lookup(parent, name, &e);
  if (rc == ENOENT) return 0;
  REQUIRE_MESSAGE(rc == 0, "lookup " << name << ": " << strerror(rc));
  return e.ino;
}

struct stat FsHarness::stat(uint64_t ino) {
  struct stat st {};
  int rc = fs->getattr(ino, &st);
  REQUIRE_MESSAGE(rc == 0, "getattr: " << strerror(rc));
  return st;
}

void FsHarness::write(uint64_t ino, uint64_t off, const Bytes& data) {
  ssize_t n = fs->write(ino, off, data);
  REQUIRE_MESSAGE(n == ssize_t(data.size()), "write at " << off << ": " << n);
}

Bytes FsHarness::read(uint64_t ino, uint64_t off, size_t size) {
  Bytes out;
  int rc = fs->read(ino, off, size, &out);
  REQUIRE_MESSAGE(rc == 0, "read at " << off << ": " << strerror(rc));
  return out;
}

Bytes FsHarness::read_all(uint64_t ino) {
  return read(ino, 0, size_t(stat(ino).st_size));
}

void FsHarness::truncate(uint64_t ino, uint64_t size) {
  struct stat in {
  }, out{};
  in.st_size = off_t(size);
  int rc = fs->setattr(ino, in, FUSE_SET_ATTR_SIZE, &out);
  REQUIRE_MESSAGE(rc == 0, "truncate to " << size << ": " << strerror(rc));
  CHECK(uint64_t(out.st_size) == size);
}

std::vector<std::string> FsHarness::list(uint64_t dir) {
  std::vector<std::string> names;
  int rc = fs->readdir(dir, 0, false, [&](std::string_view name, const struct stat&, uint64_t) {
    if (name != "." && name != "..") names.emplace_back(name);
    return true;
  });
  REQUIRE_MESSAGE(rc == 0, "readdir: " << strerror(rc));
  return names;
}

Bytes pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = uint8_t(x);
  }
  return b;
}

std::string run_in_child(const std::function<bool()>& fn) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // doctest's crash handlers would print a second report from the child: let a crash be a
    // plain signal death that the parent reports.
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) ::signal(sig, SIG_DFL);
    int code = 2;
    try {
      code = fn() ? 0 : 1;
    } catch (...) {
    }
    ::_exit(code);  // skip doctest's and static destructors in the child
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (!WIFEXITED(status)) return "ended oddly";
  switch (WEXITSTATUS(status)) {
    case 0:
      return "ok";
    case 1:
      return "returned false";
    default:
      return "threw";
  }
}

std::set<BlockId> block_ids_over(LocalStore& store, size_t min_size) {
  std::set<BlockId> out;
  REQUIRE(store
              .for_each_id([&](const BlockId& id, size_t size) {
                if (size >= min_size) out.insert(id);
                return true;
              })
              .ok());
  return out;
}

}  // namespace peerstore::test
