#include "host/mount_health.h"

#include <algorithm>
#include <future>

#include "common/log.h"
#include "host/conflict_file.h"

namespace peerstore::host {

Result<uint32_t> MountHealth::fewest_copies(const std::vector<BlockId>& ids) {
  if (ids.empty()) return 0u;
  // Shared with the callback, which may come after a timeout here.
  auto answer = std::make_shared<std::promise<Result<std::vector<uint32_t>>>>();
  auto future = answer->get_future();
  dht_.count_copies(ids,
                    [answer](Result<std::vector<uint32_t>> r) { answer->set_value(std::move(r)); });
  if (future.wait_for(timeout_) != std::future_status::ready)
    return fail(Errc::timeout, "counting copies on the ring took longer than " +
                                   std::to_string(timeout_.count() / 1000) + " s");
  PS_ASSIGN(std::vector<uint32_t> counts, future.get());
  if (counts.empty()) return 0u;
  return *std::min_element(counts.begin(), counts.end());
}

std::vector<ConflictRecord> MountHealth::conflicts() {
  auto list = read_conflicts(conflict_log_);
  if (!list) {
    log::warn("cannot read the conflict log: " + list.error().message());
    return {};
  }
  return std::move(*list);
}

}  // namespace peerstore::host
