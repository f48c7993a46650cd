// MapBudget: reads through a shared read-only map charge the page faults they take, and the map
// is released once the charge passes the budget, whatever one fault maps (a whole large folio on
// recent kernels).
#include "store/map_budget.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include "../common/mapped.h"
#include "../common/temp_dir.h"

namespace peerstore {
namespace {

constexpr size_t kFile = 96 << 20;

struct MappedFile {
  test::TempDir dir;
  std::string path = dir.file("data.mdb");
  int fd = -1;
  const volatile uint8_t* map = nullptr;
  MappedFile() {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    // One large write, as LMDB's batches are: the page cache may hold it in large folios.
    std::vector<uint8_t> bytes(kFile, 7);
    REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), 0) == ssize_t(kFile));
    void* m = ::mmap(nullptr, kFile, PROT_READ, MAP_SHARED, fd, 0);
    REQUIRE(m != MAP_FAILED);
    map = static_cast<const uint8_t*>(m);
  }
  ~MappedFile() {
    ::munmap(const_cast<uint8_t*>(map), kFile);
    ::close(fd);
  }
};

TEST_CASE("MapBudget: reads charged in scopes keep the map's resident part within the budget") {
  MappedFile f;
  MapBudget budget;
  budget.attach(f.path);
  REQUIRE(budget.addr() == const_cast<const uint8_t*>(f.map));
  REQUIRE(budget.len() == kFile);
  const size_t limit_kib = (MapBudget::kBudget + MapBudget::kMaxMappedPerFault) >> 10;
  size_t worst = 0, sum = 0;
  for (size_t off = 4096; off < kFile; off += 256 << 10) {  // a read every 256 KiB
    {
      MapBudget::Scope scope(budget);
      sum += f.map[off];
    }
    worst = std::max(worst, test::mapped_kib("/data.mdb"));
  }
  CHECK(sum > 0);
  CHECK(worst <= limit_kib);
  MESSAGE("most of the map resident: " << worst << " KiB");
  budget.release();
  CHECK(test::mapped_kib("/data.mdb") == 0);
}

TEST_CASE("MapBudget: a long scope charges what it took at each checkpoint") {
  MappedFile f;
  MapBudget budget;
  budget.attach(f.path);
  const size_t limit_kib = (MapBudget::kBudget + MapBudget::kMaxMappedPerFault) >> 10;
  size_t worst = 0, sum = 0;
  MapBudget::Scope scope(budget);
  for (size_t off = 0; off < kFile; off += 256 << 10) {
    sum += f.map[off];
    scope.checkpoint();
    worst = std::max(worst, test::mapped_kib("/data.mdb"));
  }
  CHECK(sum > 0);
  CHECK(worst <= limit_kib);
}

TEST_CASE("MapBudget: holds tells a range of the map from one outside it") {
  MappedFile f;
  MapBudget budget;
  const auto* base = const_cast<const uint8_t*>(f.map);
  CHECK_FALSE(budget.holds(base, 1));  // not attached
  budget.release();                    // nothing to release
  budget.attach(f.path);
  CHECK(budget.holds(base, kFile));
  CHECK(budget.holds(base + kFile - 1, 1));
  CHECK_FALSE(budget.holds(base + kFile - 1, 2));
  CHECK_FALSE(budget.holds(base - 1, 1));
  CHECK_FALSE(budget.holds(base, kFile + 1));
  MapBudget other;
  other.attach(f.dir.file("missing"));
  CHECK(other.addr() == nullptr);
}

}  // namespace
}  // namespace peerstore
