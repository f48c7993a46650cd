#include "store/map_budget.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cstdio>
#include <fstream>

namespace peerstore {

void MapBudget::attach(const std::string& file) {
  char real[PATH_MAX];
  if (!::realpath(file.c_str(), real)) return;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash == std::string::npos || line.compare(slash, std::string::npos, real) != 0) continue;
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && hi > lo) {
      addr_ = reinterpret_cast<const uint8_t*>(lo);
      len_ = hi - lo;
      madvise(const_cast<uint8_t*>(addr_), len_, MADV_NOHUGEPAGE);
      return;
    }
  }
}

bool MapBudget::holds(const void* p, size_t n) const {
  auto* at = static_cast<const uint8_t*>(p);
  return addr_ && at >= addr_ && n <= len_ && at <= addr_ + (len_ - n);
}

void MapBudget::release() {
  faults_.store(0, std::memory_order_relaxed);
  if (addr_) madvise(const_cast<uint8_t*>(addr_), len_, MADV_DONTNEED);
}

void MapBudget::charge(uint64_t faults) {
  constexpr uint64_t kLimit = kBudget / kMaxMappedPerFault;
  if (faults == 0) return;
  if (faults_.fetch_add(faults, std::memory_order_relaxed) + faults >= kLimit) release();
}

uint64_t MapBudget::thread_faults() {
  rusage ru{};
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  return uint64_t(ru.ru_minflt) + uint64_t(ru.ru_majflt);
}

void MapBudget::Scope::checkpoint() {
  uint64_t now = thread_faults();
  budget_.charge(now - start_);
  start_ = now;
}

}  // namespace peerstore
