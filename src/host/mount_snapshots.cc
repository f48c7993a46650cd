#include "host/mount_snapshots.h"

#include "client/version_check.h"
#include "common/log.h"
#include "common/wall_clock.h"
#include "fs/version_view.h"

namespace peerstore::host {

namespace {

constexpr auto kStale = std::chrono::seconds(1);

}  // namespace

MountSnapshots::MountSnapshots(LocalStore& store, VolumeKeys keys, PublicKey device,
                               RetentionPolicy policy, PinSource pins, FloorSource floor)
    : store_(store),
      keys_(std::move(keys)),
      device_(device),
      policy_(policy),
      pins_(std::move(pins)),
      floor_(std::move(floor)) {}

void MountSnapshots::refresh() {
  auto now = std::chrono::steady_clock::now();
  if (fresh_ && now - walked_ < kStale) return;
  auto volume = Volume::open(store_, reader_keys(keys_), device_);
  if (!volume) {
    log::warn(".snapshots: cannot read the history: " + volume.error().message());
    return;  // keeps what the last walk found
  }
  RetentionPolicy policy = policy_;
  if (floor_) policy.floor_ns = std::max(policy.floor_ns, floor_());
  client::RetainedHistory h = client::retained_history(**volume, {}, policy, wall_clock_ns(),
                                                       pins_ ? pins_() : std::vector<Pin>());
  entries_.clear();
  for (const client::NamedVersion& v : client::named_versions(h))
    entries_.push_back(Entry{v.name, v.head.hash(), v.pin.has_value()});
  heads_ = std::move(h.heads);
  walked_ = now;
  fresh_ = true;
}

std::vector<MountTree::Snapshots::Entry> MountSnapshots::list() {
  std::lock_guard lock(mu_);
  refresh();
  return entries_;
}

Result<std::unique_ptr<FileSystem>> MountSnapshots::open(const Id256& head) {
  Head found;
  {
    std::lock_guard lock(mu_);
    auto it =
        std::find_if(heads_.begin(), heads_.end(), [&](const Head& h) { return h.hash() == head; });
    if (it == heads_.end()) return fail(Errc::not_found, "no such version");
    found = *it;
  }
  return open_version(store_, keys_, device_, found);
}

}  // namespace peerstore::host
