// Helpers for the fs unit suites: fixed volume keys, a FileSystem over a MemoryStore that can
// be destroyed and reopened (persistence), a store wrapper that corrupts chosen blocks, and
// small wrappers that turn the errno-returning FileSystem API into test-friendly calls.
// Only for use inside doctest test cases (they use REQUIRE). Not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>  // FUSE_SET_ATTR_* for setattr

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "fs/file_system.h"
#include "store/memory_store.h"

namespace peerstore::test {

// The volume keys and device of every test volume: fixed, so runs are reproducible.
VolumeKeys test_volume_keys();
PublicKey test_device();
Caller root_caller();

// Opens the volume in `store` (creating it when new) and its FileSystem. The committer is
// not started unless a test starts it.
std::unique_ptr<FileSystem> open_fs(LocalStore& store, int commit_interval_ms = 1000);
// The same as another computer of the user: `device` instead of test_device().
// `health`: the source of the peerstore.* attributes, if any.
std::unique_ptr<FileSystem> open_fs(LocalStore& store, int commit_interval_ms,
                                    const PublicKey& device,
                                    BlockSuite suite = default_write_suite(),
                                    HealthSource* health = nullptr);

// A LocalStore that forwards every call to another: tests derive from it and override what
// they watch or change.
class ForwardingStore : public LocalStore {
 public:
  explicit ForwardingStore(LocalStore& inner) : inner_(inner) {}

  Result<Bytes> get(const BlockId& id) override { return inner_.get(id); }
  Result<bool> contains(const BlockId& id) override { return inner_.contains(id); }
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override {
    return inner_.for_each_id(fn);
  }
  Result<std::vector<Bytes>> heads(const VolumeId& v) override { return inner_.heads(v); }
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override {
    return inner_.for_each_volume(fn);
  }
  Status write(const WriteBatch& batch) override { return inner_.write(batch); }
  Result<StoreStats> stats() override { return inner_.stats(); }
  Result<StoreSpace> space() override { return inner_.space(); }

 protected:
  LocalStore& inner_;
};

// Flips one byte of every block whose id is in `tampered` on the way out (get and view), like
// a disk or peer returning damaged data.
class TamperingStore final : public ForwardingStore {
 public:
  explicit TamperingStore(LocalStore& inner) : ForwardingStore(inner) {}
  void tamper(const BlockId& id);

  Result<Bytes> get(const BlockId& id) override;
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override;

 private:
  std::mutex mu_;
  std::set<BlockId> tampered_;
};

// A MemoryStore and a FileSystem on it that can be closed and reopened.
struct FsHarness {
  MemoryStore store;
  BlockSuite suite = default_write_suite();  // what reopen() seals new blocks with
  HealthSource* health = nullptr;            // for the peerstore.* attributes; outlives the harness
  std::unique_ptr<FileSystem> fs;

  FsHarness() { fs = open_fs(store); }
  explicit FsHarness(HealthSource* h) : health(h) {
    fs = open_fs(store, 1000, test_device(), suite, health);
  }
  // Commits, destroys the FileSystem (and its Volume) and opens both again from the store.
  void reopen(bool commit_first = true);

  // Wrappers that REQUIRE success and return what tests need.
  uint64_t create(uint64_t parent, const std::string& name, mode_t mode = 0644);
  uint64_t mkdir(uint64_t parent, const std::string& name, mode_t mode = 0755);
  uint64_t symlink(uint64_t parent, const std::string& name, const std::string& target);
  // 0 when the name does not exist; other errors fail the test.
  uint64_t lookup(uint64_t parent, const std::string& name);
  struct stat stat(uint64_t ino);
  void write(uint64_t ino, uint64_t off, const Bytes& data);
  void write(uint64_t ino, uint64_t off, const std::string& data) {
    write(ino, off, to_bytes(data));
  }
  Bytes read(uint64_t ino, uint64_t off, size_t size);
  Bytes read_all(uint64_t ino);
  void truncate(uint64_t ino, uint64_t size);
  // Names in a directory, in readdir order, without "." and "..".
  std::vector<std::string> list(uint64_t dir);
};

inline constexpr uint64_t kRoot = NodeTable::kRootIno;

// The ids of the blocks in `store` of at least `min_size` bytes (a full chunk seals to more
// than 64 KiB; tree nodes and records are far smaller).
std::set<BlockId> block_ids_over(LocalStore& store, size_t min_size);

// Bytes [0, n) of a pattern that differs per `seed` and never repeats within a chunk.
Bytes pattern(size_t n, uint32_t seed);

// Runs `fn` in a forked child and describes how it ended: "ok" when fn returned true, else
// "returned false", "threw" or "killed by signal N". For scenarios that may corrupt memory:
// one failing case must not take the whole suite down. `fn` must not use doctest assertions
// (they would be recorded in the child); it reports through its return value.
std::string run_in_child(const std::function<bool()>& fn);

}  // namespace peerstore::test
