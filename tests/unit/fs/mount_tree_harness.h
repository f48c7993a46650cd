// Helpers of the MountTree suites: a shared volume's keys and link, an opener of linked volumes
// over one store, and a few steps the suites repeat.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sodium.h>

#include "../common/must.h"
#include "fs/mount_tree.h"
#include "fs_harness.h"

namespace peerstore::test::linked {

inline constexpr uint64_t kHigh = uint64_t(1) << 63;

// A read-write link to a new volume with its own keys, as a grant's content carries them.
struct Shared {
  SigningKey signer = SigningKey::generate();
  Secret read_key{32}, convergence{32};

  Shared() {
    randombytes_buf(read_key.data(), 32);
    randombytes_buf(convergence.data(), 32);
  }
  VolumeKeys keys() const {
    return VolumeKeys{SigningKey::from_seed(signer.seed()), read_key.clone(), convergence.clone()};
  }
  // As a grant carries it; `lineage`/`epoch`: a later epoch of another volume's folder.
  GrantContent content(const std::string& folder = "proj", bool write = true,
                       const Id256* lineage = nullptr, uint64_t epoch = 0) const {
    GrantContent g;
    g.volume = signer.public_key();
    g.read_key = read_key.clone();
    g.convergence = convergence.clone();
    if (write) g.signing_seed = signer.seed().clone();
    g.folder = folder;
    g.grantor = g.recipient = test::test_device();
    g.lineage = lineage ? *lineage : g.volume;
    g.epoch = epoch;
    g.time_ns = 1;
    return g;
  }
  Secret link(const std::string& folder = "proj", bool write = true, const Id256* lineage = nullptr,
              uint64_t epoch = 0) const {
    Bytes b = content(folder, write, lineage, epoch).encode();
    Secret s(b);
    sodium_memzero(b.data(), b.size());
    return s;
  }
};

// Opens linked volumes from one store, as this test's device; counts what the tree asks.
struct TestOpener : MountTree::Opener {
  LocalStore& store;
  int opened = 0, started_n = 0, closed_n = 0;
  FileSystem* last = nullptr;
  explicit TestOpener(LocalStore& s) : store(s) {}

  Result<std::unique_ptr<FileSystem>> open(const GrantContent& link) override {
    VolumeKeys keys =
        VolumeKeys::read_only(link.volume, link.read_key.clone(), link.convergence.clone());
    if (link.writable()) {
      PS_ASSIGN(keys, link.writer_keys());
    }
    PS_ASSIGN(auto vol, Volume::open(store, std::move(keys), test::test_device()));
    FileSystem::Options o;
    o.statfs_path = "/";
    o.space_probe_ms = 0;
    PS_ASSIGN(auto fs, FileSystem::open(std::move(vol), o, root_caller()));
    ++opened;
    last = fs.get();
    return fs;
  }
  void started(FileSystem&) override { ++started_n; }
  void closing(FileSystem&) override { ++closed_n; }
};

// The shared volume with one file in it, committed to `store`.
inline void fill(LocalStore& store, const Shared& s, const std::string& name,
                 const std::string& text) {
  auto vol = must(Volume::open(store, s.keys(), test::test_device()));
  FileSystem::Options o;
  o.statfs_path = "/";
  auto fs = must(FileSystem::open(std::move(vol), o, root_caller()));
  EntryOut e;
  REQUIRE(fs->create(root_caller(), kRoot, name, 0644, O_RDWR, &e) == 0);
  REQUIRE(fs->write(e.ino, 0, to_bytes(text)) == ssize_t(text.size()));
  REQUIRE(fs->release(e.ino) == 0);
  REQUIRE(fs->commit() == 0);
}

inline uint64_t make_link(FsHarness& h, const Secret& link, const std::string& name = "proj") {
  EntryOut e;
  REQUIRE(h.fs->make_link(root_caller(), kRoot, name, link, &e) == 0);
  CHECK(e.link);
  h.fs->forget(e.ino, 1);
  return e.ino;
}

inline std::string read_all(MountTree& t, uint64_t ino) {
  Bytes b;
  REQUIRE(t.read(ino, 0, 1 << 20, &b) == 0);
  return std::string(as_chars(b));
}

}  // namespace peerstore::test::linked
