// The deterministic three-way merge of two versions of a volume's tree (inode tables) against
// their common ancestor: the consensus step of live sync. Directory entries merge as maps,
// records field by field, and two changes of one file's content keep both versions (the loser
// under a conflict name). Deleting against modifying keeps the modification; directory moves
// that would form a cycle or give a directory two names are undone; link counts are
// recounted. Work grows with what the two versions changed, not with the tree. Not
// thread-safe: call with the BlockIo's volume not being changed by anyone else's merge.
#pragma once

#include <string>
#include <vector>

#include "fs/block_io.h"

namespace peerstore {

struct MergeSide {
  std::optional<BlockPtr> table;  // the version's inode table
  Id256 head;                     // its head's hash, the last tie-break
  int64_t time_ns = 0;            // its head's time: the later version wins
  std::string device;             // short device name, for conflict copy names
};

struct MergeConflict {
  uint64_t dir = 0;
  std::string name;           // the name the winner keeps
  std::string copy;           // the name the loser's version got
  std::string winner, loser;  // devices
};

struct MergeOutcome {
  std::optional<BlockPtr> table;
  std::vector<MergeConflict> conflicts;
};

// Symmetric in `a` and `b`: the winner is the side with the later (time, head hash), so every
// computer merging the same two versions writes the same blocks. Errc::corrupt for records or
// entries that do not decode.
Result<MergeOutcome> merge_trees(BlockIo& io, const std::optional<BlockPtr>& base,
                                 const MergeSide& a, const MergeSide& b);

}  // namespace peerstore
