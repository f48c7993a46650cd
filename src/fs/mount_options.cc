#include "fs/mount_options.h"

#include <charconv>
#include <set>

namespace peerstore {
namespace {

constexpr uint64_t kMaxFuseSpinUs = 10'000;

// A whole number, the option's whole value; nothing when absent or malformed.
std::optional<uint64_t> whole_number(std::optional<std::string_view> value) {
  uint64_t n = 0;
  if (!value) return std::nullopt;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
  return n;
}

// libfuse's mount options that take no value, and those that take one.
const std::set<std::string, std::less<>> kFlags = {
    "allow_other", "allow_root", "default_permissions",
    "ro",          "rw",         "auto_unmount",
    "nosuid",      "suid",       "nodev",
    "dev",         "noexec",     "exec",
    "async",       "sync",       "atime",
    "noatime",     "relatime",   "dirsync",
    "blkdev",      "nodiratime"};
const std::set<std::string, std::less<>> kValued = {"fsname", "subtype", "max_read", "blksize"};

// One item of a group: `opt` is KEY or KEY=VALUE.
Status apply(std::string_view opt, MountOptions& out) {
  size_t eq = opt.find('=');
  std::string_view key = opt.substr(0, eq);
  std::optional<std::string_view> value;
  if (eq != std::string_view::npos) value = opt.substr(eq + 1);
  if (key == "durability") {
    if (!value || (*value != "local" && *value != "replicated"))
      return fail(Errc::invalid,
                  "-o durability takes 'local' (fsync waits for this disk) or "
                  "'replicated' (fsync waits for the network's copies)");
    out.replicated = *value == "replicated";
    return {};
  }
  if (key == "cache_size") {
    auto size = value ? parse_size(*value) : std::nullopt;
    if (!size) return fail(Errc::invalid, "-o cache_size takes a size such as 512M or 8G");
    out.cache_bytes = *size;
    return {};
  }
  for (auto [name, field] : {std::pair{"snapshots_all", &out.snapshots.all},
                             std::pair{"snapshots_hourly", &out.snapshots.hourly},
                             std::pair{"snapshots_daily", &out.snapshots.daily},
                             std::pair{"snapshots_weekly", &out.snapshots.weekly}}) {
    if (key != name) continue;
    auto d = value ? parse_duration(*value) : std::nullopt;
    if (!d)
      return fail(Errc::invalid, "-o " + std::string(name) +
                                     " takes a duration such as 90s, 45m, 48h, 31d or 8w, or 0 "
                                     "to turn it off");
    *field = *d;
    return {};
  }
  if (key == "brake") {
    if (!value || (*value != "on" && *value != "off"))
      return fail(Errc::invalid,
                  "-o brake takes 'on' or 'off' (pinning the version before a mass deletion)");
    out.brake.on = *value == "on";
    return {};
  }
  if (key == "brake_percent" || key == "brake_files") {
    auto n = whole_number(value);
    bool percent = key == "brake_percent";
    if (!n || *n == 0 || (percent && *n > 100))
      return fail(Errc::invalid, percent
                                     ? "-o brake_percent takes a whole number from 1 to 100"
                                     : "-o brake_files takes a whole number of files, 1 or more");
    if (percent)
      out.brake.percent = unsigned(*n);
    else
      out.brake.files = *n;
    return {};
  }
  if (key == "fuse_spin") {
    auto n = whole_number(value);
    if (!n || *n > kMaxFuseSpinUs)
      return fail(Errc::invalid,
                  "-o fuse_spin takes microseconds from 0 (no spinning) to 10000 (10 ms)");
    out.fuse_spin_us = uint32_t(*n);
    return {};
  }
  for (auto [name, field] : {std::pair{"data", &out.data}, std::pair{"config", &out.config},
                             std::pair{"listen", &out.listen}, std::pair{"join", &out.join},
                             std::pair{"http", &out.http}}) {
    if (key != name) continue;
    if (!value || value->empty())
      return fail(Errc::invalid, "-o " + std::string(name) + " takes a value, as --" +
                                     std::string(name) + " does; see 'peerstorefs --help'");
    *field = std::string(*value);
    return {};
  }
  bool known = value ? kValued.count(key) > 0 : kFlags.count(key) > 0;
  if (!known)
    return fail(Errc::invalid,
                "unknown mount option '-o " + std::string(opt) + "'; see 'peerstorefs --help'");
  if (key != "default_permissions") out.fuse.emplace_back(opt);  // always on
  return {};
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view s) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  std::string_view unit(end, size_t(s.data() + s.size() - end));
  if (unit.empty()) return n;
  static constexpr std::string_view kUnits = "KMGT";
  size_t index = unit.size() == 1 ? kUnits.find(char(unit[0] & ~0x20)) : std::string_view::npos;
  if (index == std::string_view::npos) return std::nullopt;
  unsigned shift = unsigned(10 * (index + 1));
  if (n > (UINT64_MAX >> shift)) return std::nullopt;
  return n << shift;
}

Result<MountOptions> MountOptions::parse(const std::vector<std::string>& groups) {
  MountOptions out;
  for (const std::string& group : groups) {
    std::string_view rest = group;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view opt = rest.substr(0, comma);
      if (!opt.empty()) PS_TRY(apply(opt, out));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace peerstore
