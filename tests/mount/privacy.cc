// Mount tests, privacy at rest: after writing distinctive names, symlink targets, xattrs and
// contents (inline-size and multi-chunk) and unmounting, no byte sequence of them appears in
// any file (or file name) under the data and config dirs. Needs a real mount.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"
#include "support/plaintext_scan.h"

namespace peerstore::test {

TEST_CASE("privacy: no name target xattr or content appears in the data or config dirs") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  const std::string dir_name = "PrivacyCanaryDir-7f3a9c";
  const std::string inline_name = "privacy-canary-inline-5e1b.txt";
  const std::string chunked_name = "privacy-canary-chunked-c44d.bin";
  const std::string random_name = "privacy-canary-random-e3f0";
  const std::string nested_name = "privacy-canary-nested-a8d2";
  const std::string link_name = "privacy-canary-link-2c7a";
  const std::string link_target = "privacy-canary-symlink-target-91be";
  const std::string xattr_name = "user.privacy-canary-xattr-3d6f";
  const std::string xattr_value = "privacy-canary-xattr-value-b07e";
  std::string inline_content;
  while (inline_content.size() < 3000) inline_content += "PRIVACY-CANARY-INLINE-CONTENT-6c2e ";
  std::string chunked_content;
  for (int i = 0; chunked_content.size() < 5 * kChunk; ++i)
    chunked_content += "PRIVACY-CANARY-CHUNK-CONTENT-0d9f:" + std::to_string(i) + "\n";
  const std::string random_content = random_bytes(3 * kChunk + 100, 5001);

  REQUIRE_OK(mkdir(fx.path(dir_name).c_str(), 0755));
  write_file(fx.path(dir_name + "/" + inline_name), inline_content);
  write_file(fx.path(dir_name + "/" + chunked_name), chunked_content);
  write_file(fx.path(random_name), random_content);
  REQUIRE_OK(mkdir(fx.path(dir_name + "/" + nested_name).c_str(), 0755));
  write_file(fx.path(dir_name + "/" + nested_name + "/" + nested_name), "x");
  REQUIRE_OK(symlink(link_target.c_str(), fx.path(link_name).c_str()));
  REQUIRE_OK(setxattr(fx.path(random_name).c_str(), xattr_name.c_str(), xattr_value.data(),
                      xattr_value.size(), 0));
  REQUIRE_EQ(fx.unmount(), 0);

  std::vector<Needle> needles = {
      {"directory name", dir_name},
      {"inline file name", inline_name},
      {"chunked file name", chunked_name},
      {"random file name", random_name},
      {"nested name", nested_name},
      {"symlink name", link_name},
      {"symlink target", link_target},
      {"xattr name", xattr_name.substr(5)},
      {"xattr value", xattr_value},
      {"inline content", "PRIVACY-CANARY-INLINE-CONTENT-6c2e"},
      {"chunked content", "PRIVACY-CANARY-CHUNK-CONTENT-0d9f"},
      {"generic canary marker", "canary"},
  };
  for (size_t at : {size_t(0), kChunk - 10, 2 * kChunk + 777, 3 * kChunk + 60})
    needles.push_back({"random content at " + std::to_string(at), random_content.substr(at, 32)});

  // The scanner must find what is there: plant a needle across a 4 MiB piece boundary.
  {
    std::string probe = fx.base_dir() + "/scanner-self-check";
    std::string data(8 << 20, 'z');
    data.replace((4 << 20) - 10, needles[0].bytes.size(), needles[0].bytes);
    write_file(probe, data);
    PlaintextScan probed;
    scan_file_for_plaintext(probe, needles, probed);
    REQUIRE_EQ(probed.found.size(), 1u);
    CHECK_EQ(probed.found[0].offset, (4u << 20) - 10);
  }

  PlaintextScan scan = scan_for_plaintext({fx.data_dir(), fx.config_dir()}, needles);
  MESSAGE("scanned " << scan.files << " files, " << scan.bytes << " bytes");
  CHECK_MESSAGE(scan.errors.empty(), (scan.errors.empty() ? "" : scan.errors.front()));
  CHECK_MESSAGE(access((fx.data_dir() + "/store/data.mdb").c_str(), F_OK) == 0,
                "no DATA/store/data.mdb: the scan may have missed the store");
  CHECK_GT(scan.bytes, random_content.size());  // the content is in there somewhere, encrypted
  CHECK_MESSAGE(scan.found.empty(), describe_findings(scan));

  // File contents must not be logged either.
  std::string log = fx.process()->output();
  CHECK_MESSAGE(log.find("PRIVACY-CANARY") == std::string::npos, "contents in the log: " << log);
}

}  // namespace peerstore::test
