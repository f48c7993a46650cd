// The ancestry of a volume's heads: finding the merge base of two concurrent heads. Heads name
// their parents by hash and carry version vectors, and a head's vector is at or below
// another's when it is its ancestor, so the walk goes down from one head only until it meets
// heads at or below the other: it visits what diverged, not the whole history.
//
// Twins. The converse holds for a computer's own commits (each device numbers its own) but not
// always for merges: a merge head's vector is the maximum of its parents', so two merges of
// different pairs can have equal vectors. That happens when two computers merge the same
// commits in different orders (a merges A3 with B1 while b merges A3 with its own merge of B1
// and A2): both hold the same commits, arranged by different merges. same_history() tells such
// twins from a head that claims commits it lacks.
// Stateless functions; thread-safe if the loader is.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "keys/signed_head.h"

namespace peerstore {

using HeadLoader = std::function<Result<Head>(const Id256& hash)>;

// The most heads a merge base search visits before giving up (Errc::too_big).
inline constexpr size_t kMaxHistoryWalk = 200000;

// The common ancestor of `a` and `b` to merge against: of the ancestors of both that no other
// common ancestor descends from, the one with the later time (then the larger hash), so every
// computer picks the same. nullopt when they share no history (two computers each started the
// volume). A parent the loader cannot give fails the search with its error.
Result<std::optional<Head>> merge_base(const Head& a, const Head& b, const HeadLoader& load);

// A volume's history: every head reachable from `tips` through their parents, at most
// kMaxHistoryWalk of them (`cut` says the walk stopped there). A parent the loader cannot give
// is listed in `missing` with its error, and the walk goes on without it.
struct History {
  std::map<Id256, Head> heads;
  std::vector<std::pair<Id256, Error>> missing;
  bool cut = false;
};
History walk_history(const std::vector<Head>& tips, const HeadLoader& load);

// Whether `a` and `b`, whose vectors are equal, descend from the same commits: the common
// ancestors found by hash (not by vector) together reach their vector. False for a head that
// claims commits it does not descend from. Walks both down to their common ancestors, in the
// order of the sum of their vectors (every parent's is smaller than its child's).
Result<bool> same_history(const Head& a, const Head& b, const HeadLoader& load);
// Whether `a`'s history holds every commit `b`'s does, whatever their vectors: the common
// ancestors found by hash together reach b's vector (the same walk as same_history). A head
// whose vector is above ours may hold our commits without our head among its ancestors: it
// merged what ours merged in another order or grouping (found by the sync test of late and
// out-of-order deliveries, and the e2e live-sync case under load).
Result<bool> holds_history(const Head& a, const Head& b, const HeadLoader& load);

}  // namespace peerstore
