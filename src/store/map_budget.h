// MapBudget: bounds what LMDB's read-only map of the store file adds to this process's RSS
// (issue 17: peerstorefs stays under 200 MiB while writing or reading 1 GiB). Every read
// through the map leaves the pages it faulted in mapped, and on recent kernels one fault maps
// the whole page-cache folio around the page, up to 2 MiB, whatever the fault-around size: a
// B-tree lookup may make 6 MiB of the file resident, and a 1 GiB write's lookups and batch
// inserts had up to 100 MiB of it mapped between two releases. So what is charged is page
// faults, each at the most one may map (kMaxMappedPerFault), measured per thread around each read
// (Scope); the mappings are dropped when the charge passes the budget. A lookup whose pages are
// mapped already costs nothing and releases nothing. Dropping the mappings of a read-only shared
// map is safe while other threads read through it: their next access faults the page in again from
// the page cache. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace peerstore {

class MapBudget {
 public:
  // Each release costs a TLB shootdown and the next lookups fault the B-tree's top back in: a
  // 1 GiB write took 10 % less CPU at 64 MiB than at 32 (four rounds), and no less at 128. Its
  // peak RSS stayed at 140-174 MiB in seven runs.
  static constexpr size_t kBudget = 64 << 20;
  // Two PMD-sized folios: the fault-around window may straddle two, and each is mapped whole.
  // Charged at one (2 MiB), the map reached 52 MiB at times in a 1 GiB write; at two, 42.
  static constexpr size_t kMaxMappedPerFault = 4 << 20;

  // Finds the map of `file` in /proc/self/maps (LMDB says where it is only for MDB_FIXEDMAP)
  // and asks the kernel for small mappings: with huge ones, a fault maps 2 MiB with one PMD
  // whatever the THP policy. Without a map found, release() does nothing.
  void attach(const std::string& file);
  const uint8_t* addr() const { return addr_; }
  size_t len() const { return len_; }
  // Whether [p, p + n) lies in the map.
  bool holds(const void* p, size_t n) const;

  // Drops every mapping of the map.
  void release();
  // Charges `faults` page faults; releases the map once the charge passes the budget.
  void charge(uint64_t faults);
  // The minor and major page faults the calling thread has taken.
  static uint64_t thread_faults();

  // Charges the faults this thread takes while the scope lives (every anonymous page it
  // allocates too: an over-count only releases sooner).
  class Scope {
   public:
    explicit Scope(MapBudget& budget) : budget_(budget), start_(thread_faults()) {}
    ~Scope() { checkpoint(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    // Charges what was taken so far (inside a long transaction).
    void checkpoint();

   private:
    MapBudget& budget_;
    uint64_t start_;
  };

 private:
  const uint8_t* addr_ = nullptr;
  size_t len_ = 0;
  std::atomic<uint64_t> faults_{0};  // charged since the last release
};

}  // namespace peerstore
