// MountOptions: what `peerstorefs -o OPT[,OPT...]` asks for: PeerStore's own options and the
// libfuse mount options that go through to the kernel. A value; parse() is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/mass_delete_brake.h"
#include "fs/retention.h"

namespace peerstore {

// PeerStore's own: durability=local|replicated, cache_size=SIZE, the retention of past versions
// (snapshots_all, snapshots_hourly, snapshots_daily, snapshots_weekly: a duration such as 1h,
// 48h, 31d, 8w, or 0 for off; fs/retention.h), the brake on mass deletion (brake=on|off,
// brake_percent=1..100, brake_files=N; fs/mass_delete_brake.h), fuse_spin=0..10000 (µs), and
// peerstorefs's flags (data=DIR, config=DIR, listen=ADDR:PORT, join=TOKEN|HOST:PORT,
// http=ADDR:PORT), so that mount(8) and /etc/fstab can give them. libfuse's: allow_other, ro,
// fsname=..., ... Anything else is refused with a one-line message that says what to do.
struct MountOptions {
  bool replicated = false;                   // durability=replicated: fsync waits for the ring
  uint64_t cache_bytes = uint64_t(4) << 30;  // cache_size: local copies of network blocks
  RetentionPolicy snapshots;                 // which past versions .snapshots/ shows
  BrakeConfig brake;                         // when a mass deletion pins the version before
  // fuse_spin=US: in a run of small reads, how long the FUSE reader stays awake after each
  // (fs/fuse_loop.h); 0: it sleeps as soon as nothing is queued.
  uint32_t fuse_spin_us = 100;
  // peerstorefs's --data, --config, --listen, --join and --http given as -o options.
  std::optional<std::string> data, config, listen, join, http;
  // For libfuse's mount, in the order given; default_permissions is taken out (always on).
  std::vector<std::string> fuse;

  // Each of `groups` is one -o argument, a comma-separated list; empty items are skipped, and
  // a later value of an option overrides an earlier one. Errc::invalid on anything malformed.
  static Result<MountOptions> parse(const std::vector<std::string>& groups);
};

// "512M", "8G", "1048576": bytes, with an optional K, M, G or T (powers of 1024, either case).
// No sign, no spaces; nothing when malformed or past 2^64 - 1.
std::optional<uint64_t> parse_size(std::string_view s);

}  // namespace peerstore
