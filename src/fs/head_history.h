// The ancestry of a volume's heads: finding the merge base of two concurrent heads. Heads name
// their parents by hash and carry version vectors, and a head's vector is at or below
// another's exactly when it is its ancestor, so the walk goes down from one head only until it
// meets heads at or below the other: it visits what diverged, not the whole history.
// Stateless functions; thread-safe if the loader is.
#pragma once

#include <functional>
#include <optional>

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

}  // namespace peerstore
