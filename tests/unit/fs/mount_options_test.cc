// MountOptions turns `-o` arguments into what the mount asks for. The contract: PeerStore's own
// options (durability, cache_size) are taken out and checked; libfuse's known flags and valued
// options pass through in order (default_permissions, always on, is swallowed); anything else,
// and any malformed value, is Errc::invalid with one line that says what to do.
#include "fs/mount_options.h"

#include <doctest/doctest.h>

#include "../common/must.h"

namespace peerstore {
namespace {

using test::must;
using Strings = std::vector<std::string>;

constexpr uint64_t kKiB = 1024, kMiB = kKiB << 10, kGiB = kMiB << 10, kTiB = kGiB << 10;

std::string refusal(const Strings& groups) {
  auto r = MountOptions::parse(groups);
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Errc::invalid);
  CHECK(r.error().context.find('\n') == std::string::npos);
  return r.error().context;
}

const std::string kDurability =
    "-o durability takes 'local' (fsync waits for this disk) or 'replicated' (fsync waits for "
    "the network's copies)";
const std::string kCacheSize = "-o cache_size takes a size such as 512M or 8G";

TEST_CASE("mount options: none gives the defaults") {
  MountOptions o = must(MountOptions::parse({}));
  CHECK_FALSE(o.replicated);
  CHECK(o.cache_bytes == 4 * kGiB);
  CHECK(o.fuse.empty());
  CHECK(must(MountOptions::parse({""})).fuse.empty());
  CHECK(must(MountOptions::parse({",,,"})).fuse.empty());
}

TEST_CASE("mount options: durability") {
  CHECK(must(MountOptions::parse({"durability=replicated"})).replicated);
  CHECK_FALSE(must(MountOptions::parse({"durability=local"})).replicated);
  CHECK_FALSE(must(MountOptions::parse({"durability=replicated,durability=local"})).replicated);
  CHECK(must(MountOptions::parse({"durability=local", "durability=replicated"})).replicated);
  CHECK(must(MountOptions::parse({"durability=replicated"})).fuse.empty());  // not libfuse's
  CHECK_FALSE(must(MountOptions::parse({"durability=replicated,durability=local,"})).replicated);
  for (const char* bad : {"durability", "durability=", "durability=Local", "durability=sync",
                          "durability==local", "durability=replicated "}) {
    std::string item = bad;
    CAPTURE(item);
    CHECK(refusal({bad}) == kDurability);
  }
}

TEST_CASE("mount options: cache_size in bytes and units") {
  auto cache = [](const std::string& v) {
    return must(MountOptions::parse({"cache_size=" + v})).cache_bytes;
  };
  CHECK(cache("0") == 0);
  CHECK(cache("1048576") == kMiB);
  CHECK(cache("512K") == 512 * kKiB);
  CHECK(cache("512k") == 512 * kKiB);
  CHECK(cache("512M") == 512 * kMiB);
  CHECK(cache("8g") == 8 * kGiB);
  CHECK(cache("2T") == 2 * kTiB);
  CHECK(cache("16777215T") == 16777215 * kTiB);  // the largest whole number of TiB
  CHECK(cache("18446744073709551615") == UINT64_MAX);
  CHECK(must(MountOptions::parse({"cache_size=1G,cache_size=2G"})).cache_bytes == 2 * kGiB);
  CHECK(must(MountOptions::parse({"cache_size=1G"})).fuse.empty());
}

TEST_CASE("mount options: malformed cache_size") {
  for (const char* bad :
       {"cache_size", "cache_size=", "cache_size=M", "cache_size=12X", "cache_size=12MB",
        "cache_size=12 M", "cache_size= 12M", "cache_size=-1", "cache_size=+5M", "cache_size=1.5G",
        "cache_size=0x10", "cache_size=16777216T", "cache_size=99999999999T",
        "cache_size=18446744073709551616", "cache_size=99999999999999999999999",
        "cache_size=17592186044416M"}) {
    std::string item = bad;
    CAPTURE(item);
    CHECK(refusal({bad}) == kCacheSize);
  }
}

TEST_CASE("mount options: the retention of .snapshots/") {
  MountOptions o = must(MountOptions::parse({"snapshots_all=30m,snapshots_hourly=0"}));
  CHECK(o.snapshots.all == std::chrono::minutes(30));
  CHECK(o.snapshots.hourly == std::chrono::seconds(0));
  CHECK(o.snapshots.daily == RetentionPolicy{}.daily);
  o = must(MountOptions::parse({"snapshots_daily=90d", "snapshots_weekly=8w"}));
  CHECK(o.snapshots.daily == std::chrono::hours(24 * 90));
  CHECK(o.snapshots.weekly == std::chrono::hours(24 * 7 * 8));
  CHECK(must(MountOptions::parse({})).snapshots == RetentionPolicy{});
  for (const char* bad : {"snapshots_all", "snapshots_all=", "snapshots_all=1y",
                          "snapshots_daily=-1d", "snapshots_hourly=h"}) {
    auto r = MountOptions::parse({bad});
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("takes a duration such as") != std::string::npos);
  }
}

TEST_CASE("mount options: the brake on mass deletion") {
  CHECK(must(MountOptions::parse({})).brake == BrakeConfig{});
  MountOptions o = must(MountOptions::parse({"brake_percent=50,brake_files=200"}));
  CHECK(o.brake.on);
  CHECK(o.brake.percent == 50);
  CHECK(o.brake.files == 200);
  CHECK_FALSE(must(MountOptions::parse({"brake=off"})).brake.on);
  CHECK(must(MountOptions::parse({"brake=off", "brake=on"})).brake.on);
  for (const char* bad :
       {"brake", "brake=no", "brake_percent=0", "brake_percent=101", "brake_percent=30%",
        "brake_percent", "brake_files=", "brake_files=0", "brake_files=1e4", "brake_files=-5"}) {
    CAPTURE(bad);
    auto r = MountOptions::parse({bad});
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("-o brake") == 0);
  }
}

TEST_CASE("mount options: fuse_spin in microseconds, 0 to 10000") {
  CHECK(must(MountOptions::parse({})).fuse_spin_us == 100);
  CHECK(must(MountOptions::parse({"fuse_spin=0"})).fuse_spin_us == 0);
  CHECK(must(MountOptions::parse({"fuse_spin=250"})).fuse_spin_us == 250);
  CHECK(must(MountOptions::parse({"fuse_spin=10000"})).fuse_spin_us == 10000);
  CHECK(must(MountOptions::parse({"fuse_spin=5,fuse_spin=7"})).fuse_spin_us == 7);
  CHECK(must(MountOptions::parse({"fuse_spin=0"})).fuse.empty());  // not libfuse's
  for (const char* bad : {"fuse_spin", "fuse_spin=", "fuse_spin=10001", "fuse_spin=-1",
                          "fuse_spin=100us", "fuse_spin=1e3"}) {
    CAPTURE(bad);
    auto r = MountOptions::parse({bad});
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find(
              "-o fuse_spin takes microseconds from 0 (no spinning) to 10000 (10 ms)") == 0);
  }
}

TEST_CASE("parse_size") {
  CHECK(parse_size("1") == 1u);
  CHECK(parse_size("1K") == kKiB);
  CHECK(parse_size("4T") == 4 * kTiB);
  CHECK(parse_size("18014398509481983K") == 18014398509481983 * kKiB);
  CHECK_FALSE(parse_size("18014398509481984K"));  // 2^64: wraps to 0 without the check
  CHECK_FALSE(parse_size(""));
  CHECK_FALSE(parse_size("K"));
  CHECK_FALSE(parse_size("1KK"));
  CHECK_FALSE(parse_size("1P"));
  CHECK_FALSE(parse_size("-0"));
}

TEST_CASE("mount options: peerstorefs's flags as -o options, for mount(8) and fstab") {
  // What mount.fuse3 passes for an fstab line "peerstore /mnt fuse.peerstorefs
  // data=/d,join=10.0.0.5:3000,_netdev,user 0 0": it drops _netdev and user, adds their flags.
  MountOptions o =
      must(MountOptions::parse({"rw,noexec,nosuid,nodev,data=/var/lib/ps,config=/etc/"
                                "ps,listen=0.0.0.0:3000,join=10.0.0.5:3000"}));
  CHECK(o.data == "/var/lib/ps");
  CHECK(o.config == "/etc/ps");
  CHECK(o.listen == "0.0.0.0:3000");
  CHECK(o.join == "10.0.0.5:3000");
  CHECK(o.fuse == Strings{"rw", "noexec", "nosuid", "nodev"});
  CHECK_FALSE(must(MountOptions::parse({"ro"})).data.has_value());
  // A later value overrides an earlier one, as for every option.
  CHECK(must(MountOptions::parse({"data=/a", "data=/b"})).data == "/b");
  CHECK(refusal({"data"}) == "-o data takes a value, as --data does; see 'peerstorefs --help'");
  CHECK(refusal({"join="}) == "-o join takes a value, as --join does; see 'peerstorefs --help'");
}

TEST_CASE("mount options: libfuse flags pass through in order") {
  Strings flags = {"allow_other", "allow_root", "ro",     "rw",        "auto_unmount",
                   "nosuid",      "suid",       "nodev",  "dev",       "noexec",
                   "exec",        "async",      "sync",   "atime",     "noatime",
                   "relatime",    "dirsync",    "blkdev", "nodiratime"};
  for (auto& f : flags) {
    CAPTURE(f);
    CHECK(must(MountOptions::parse({f})).fuse == Strings{f});
  }
  MountOptions o = must(MountOptions::parse({"ro,allow_other", "noatime"}));
  CHECK(o.fuse == Strings{"ro", "allow_other", "noatime"});
}

TEST_CASE("mount options: valued libfuse options pass through whole") {
  MountOptions o = must(MountOptions::parse(
      {"fsname=peerstore,subtype=peerstorefs,max_read=131072,blksize=4096,fsname=a=b"}));
  CHECK(o.fuse == Strings{"fsname=peerstore", "subtype=peerstorefs", "max_read=131072",
                          "blksize=4096", "fsname=a=b"});
}

TEST_CASE("mount options: default_permissions is always on and swallowed") {
  CHECK(must(MountOptions::parse({"default_permissions"})).fuse.empty());
  CHECK(must(MountOptions::parse({"ro,default_permissions,allow_other"})).fuse ==
        Strings{"ro", "allow_other"});
}

TEST_CASE("mount options: empty items between commas are skipped") {
  MountOptions o = must(MountOptions::parse({"ro,,allow_other", ",noatime,", "", ","}));
  CHECK(o.fuse == Strings{"ro", "allow_other", "noatime"});
}

TEST_CASE("mount options: unknown options are refused by name") {
  CHECK(refusal({"bogus"}) == "unknown mount option '-o bogus'; see 'peerstorefs --help'");
  CHECK(refusal({"ro,bogus=1,allow_other"}) ==
        "unknown mount option '-o bogus=1'; see 'peerstorefs --help'");
  // A flag with a value, a valued option without one, and a near miss are all unknown.
  CHECK(refusal({"ro=1"}) == "unknown mount option '-o ro=1'; see 'peerstorefs --help'");
  CHECK(refusal({"fsname"}) == "unknown mount option '-o fsname'; see 'peerstorefs --help'");
  CHECK(refusal({"allow-other"}) ==
        "unknown mount option '-o allow-other'; see 'peerstorefs --help'");
  CHECK(refusal({"=x"}) == "unknown mount option '-o =x'; see 'peerstorefs --help'");
  CHECK(refusal({"RO"}) == "unknown mount option '-o RO'; see 'peerstorefs --help'");
}

TEST_CASE("mount options: the first bad item decides the message") {
  CHECK(refusal({"cache_size=1X,bogus"}) == kCacheSize);
  CHECK(refusal({"ro", "bogus,durability=x"}) ==
        "unknown mount option '-o bogus'; see 'peerstorefs --help'");
}

}  // namespace
}  // namespace peerstore
