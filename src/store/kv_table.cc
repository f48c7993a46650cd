#include "store/kv_table.h"

#include <algorithm>

namespace peerstore {

Status KvTable::check(const std::vector<Change>& changes) {
  for (auto& [k, v] : changes) {
    if (k.empty() || k.size() > kMaxKey)
      return fail(Errc::too_big, "a table key of " + std::to_string(k.size()) + " bytes");
    if (v && v->size() > kMaxValue)
      return fail(Errc::too_big, "a table value of " + std::to_string(v->size()) + " bytes");
  }
  return {};
}

Result<std::optional<Bytes>> MemoryKvTable::get(ByteView key) {
  std::lock_guard lk(mu_);
  auto it = rows_.find(Bytes(key.begin(), key.end()));
  if (it == rows_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

Status MemoryKvTable::write(const std::vector<Change>& changes) {
  PS_TRY(check(changes));
  std::lock_guard lk(mu_);
  for (auto& [k, v] : changes) {
    if (v)
      rows_[k] = *v;
    else
      rows_.erase(k);
  }
  return {};
}

Status MemoryKvTable::scan(ByteView prefix,
                           const std::function<bool(ByteView key, ByteView value)>& fn) {
  // A copy of the matching rows, so that fn runs without the lock (as LMDB's reader does).
  std::vector<std::pair<Bytes, Bytes>> rows;
  {
    std::lock_guard lk(mu_);
    for (auto it = rows_.lower_bound(Bytes(prefix.begin(), prefix.end())); it != rows_.end();
         ++it) {
      if (it->first.size() < prefix.size() ||
          !std::equal(prefix.begin(), prefix.end(), it->first.begin()))
        break;
      rows.push_back(*it);
    }
  }
  for (auto& [k, v] : rows)
    if (!fn(k, v)) break;
  return {};
}

}  // namespace peerstore
