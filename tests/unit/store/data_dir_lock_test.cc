// DataDirLock keeps two PeerStore processes off one data directory (two LMDB writers through
// different code paths would corrupt the commit order). flock locks belong to the open file
// description, so a second acquire conflicts even inside one process, which lets one process
// test the "other process" case.
#include "store/data_dir_lock.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "../common/temp_dir.h"

namespace peerstore {
namespace {

// One case on purpose: acquire() retries for about 3 s before it calls a directory busy (a
// previous instance may still be finishing), so each busy answer costs that long.
TEST_CASE("a held directory is busy, says who holds it, and is free once the holder dies") {
  test::TempDir dir;
  std::optional<DataDirLock> held;
  {
    auto first = DataDirLock::acquire(dir.path());
    REQUIRE(first.ok());
    held.emplace(std::move(*first));
  }  // the moved-from lock dies here and must not release the lock

  // The holder's pid is written for the message.
  std::ifstream f(dir.file("lock"));
  std::string pid;
  f >> pid;
  CHECK(pid == std::to_string(::getpid()));

  auto second = DataDirLock::acquire(dir.path());
  CHECK(second.code() == Errc::busy);
  if (!second.ok()) {
    CHECK(second.error().message().find("in use") != std::string::npos);
    CHECK(second.error().message().find(std::to_string(::getpid())) != std::string::npos);
  }

  held.reset();
  CHECK(DataDirLock::acquire(dir.path()).ok());
}

TEST_CASE("acquire in a missing directory is an io error") {
  test::TempDir dir;
  CHECK(DataDirLock::acquire(dir.file("missing")).code() == Errc::io);
}

}  // namespace
}  // namespace peerstore
