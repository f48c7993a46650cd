// ModelClaimSink: the ring as a ClaimSink for the claimant's tests (sim/claimant_test.cc,
// unit/host/mount_claims_test.cc): one ClaimSet per block, as a replica would merge the
// records, with puts made to fail on purpose, either the next N or those of chosen blocks (once
// each). Records the thread of the last call. Thread-safe.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "dht/claimant.h"

namespace peerstore::test {

struct ModelClaimSink : ClaimSink {
  std::mutex m;
  std::map<BlockId, ClaimSet> sets;
  std::multiset<BlockId> fails;  // a put of one of these fails, once each
  int fail_next = 0;             // so do the next this many puts
  size_t puts = 0;
  std::thread::id caller;

  std::vector<Status> put_claims(const std::vector<std::pair<BlockId, Bytes>>& batch) override {
    std::lock_guard lk(m);
    caller = std::this_thread::get_id();
    std::vector<Status> out;
    for (auto& [b, rec] : batch) {
      ++puts;
      auto it = fails.find(b);
      if (it != fails.end() || fail_next > 0) {
        if (it != fails.end())
          fails.erase(it);
        else
          --fail_next;
        out.push_back(fail(Errc::timeout, "no answer"));
        continue;
      }
      auto c = ClaimSet::decode_claim(rec);
      REQUIRE(c.ok());
      sets[b].merge(*c, 0);
      out.emplace_back();
    }
    return out;
  }
  size_t live(const BlockId& b) {
    std::lock_guard lk(m);
    return sets[b].live();
  }
  bool releasable(const BlockId& b) {
    std::lock_guard lk(m);
    return sets[b].releasable(0, 0);
  }
  size_t size(const BlockId& b) {
    std::lock_guard lk(m);
    return sets[b].size();
  }
};

}  // namespace peerstore::test
