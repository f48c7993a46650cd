#include "fs/mark_set.h"

#include <algorithm>
#include <cstring>

namespace peerstore {

uint64_t MarkSet::prefix(const BlockId& id) {
  uint64_t p;
  std::memcpy(&p, id.b.data(), sizeof p);
  return p;
}

void MarkSet::mark_leaf(const BlockId& id) {
  leaves_.push_back(prefix(id));
  sealed_ = false;
}

void MarkSet::seal() {
  std::sort(leaves_.begin(), leaves_.end());
  leaves_.erase(std::unique(leaves_.begin(), leaves_.end()), leaves_.end());
  leaves_.shrink_to_fit();
  sealed_ = true;
}

bool MarkSet::may_contain(const BlockId& id) const {
  if (interior_.contains(id)) return true;
  if (!sealed_)  // correct, only slow
    return std::find(leaves_.begin(), leaves_.end(), prefix(id)) != leaves_.end();
  return std::binary_search(leaves_.begin(), leaves_.end(), prefix(id));
}

}  // namespace peerstore
