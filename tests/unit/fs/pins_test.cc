// Pins (fs/pins.h): names refused with a reason (empty, too long, '/', '.', a time's form), the
// value's format and its bad input, pins added, listed and removed on a file system's root,
// a taken name and the cap refused, and two computers' pins reaching each other through live
// sync, with a pin removed on one gone on both.
#include "fs/pins.h"

#include <doctest/doctest.h>

#include "common/msgpack_codec.h"
#include "fs/file_system.h"
#include "fs/node_table.h"
#include "support/filled_id.h"
#include "sync_harness.h"

namespace peerstore {
namespace {

using test::filled_id;

Pin pin(const std::string& name, uint8_t head, std::string note = "") {
  return Pin{name, filled_id(head), 1'700'000'000'000'000'000 + head, std::move(note)};
}

std::vector<std::string> names(const std::vector<Pin>& pins) {
  std::vector<std::string> out;
  for (auto& p : pins) out.push_back(p.name);
  return out;
}

TEST_CASE("pins: names are file names that cannot pass for an automatic snapshot's") {
  for (const char* good :
       {"before-upgrade", "release 1.0", "2026", "x", "2026-12-05 evening", "v2026-12-05T10-00-00"})
    CHECK_MESSAGE(check_pin_name(good).ok(), good);
  for (std::string bad :
       {std::string(), std::string("."), std::string(".."), std::string("a/b"),
        std::string("tab\there"), std::string(kMaxPinName + 1, 'n'),
        std::string("2026-12-05T10-00-00"), std::string("2026-12-05T10-00-00~0a1b2c3d")}) {
    Status st = check_pin_name(bad);
    CHECK_MESSAGE(!st.ok(), bad);
    if (!st.ok()) CHECK(st.code() == Errc::invalid);
  }
  CHECK(check_pin_name(std::string(kMaxPinName, 'n')).ok());
}

TEST_CASE("pins: the value round-trips; anything else is refused") {
  Pin p = pin("before-upgrade", 7, "before the 2.0 upgrade");
  Bytes v = encode_pin(p);
  auto back = decode_pin(p.name, v);
  REQUIRE(back.ok());
  CHECK(*back == p);
  // Golden bytes: [1, bin 32 of 0x07, pinned_ns, "ab"].
  Pin small{"n", filled_id(7), 5, "ab"};
  Bytes golden = {0x94, 0x01, 0xc4, 0x20};
  golden.insert(golden.end(), 32, 0x07);
  for (int b : {0x05, 0xa2, int('a'), int('b')}) golden.push_back(uint8_t(b));
  CHECK(encode_pin(small) == golden);
  // A long note is cut.
  Pin noisy = pin("n", 1, std::string(kMaxPinNote + 50, 'x'));
  auto cut = decode_pin("n", encode_pin(noisy));
  REQUIRE(cut.ok());
  CHECK(cut->note.size() == kMaxPinNote);

  CHECK(decode_pin("2026-12-05T10-00-00", v).code() == Errc::corrupt);  // a bad name
  CHECK(!decode_pin("n", {}).ok());
  Bytes wrong_version = v;
  wrong_version[1] = 0x02;
  CHECK(decode_pin("n", wrong_version).code() == Errc::corrupt);
  Bytes short_hash = {0x94, 0x01, 0xc4, 0x01, 0x07, 0x05, 0xa0};
  CHECK(!decode_pin("n", short_hash).ok());
  for (size_t cut_at = 0; cut_at < v.size(); ++cut_at)
    CHECK(!decode_pin("n", ByteView(v).first(cut_at)).ok());
  Bytes trailing = v;
  trailing.push_back(0xc0);
  CHECK(!decode_pin("n", trailing).ok());
}

TEST_CASE("pins: added, listed and removed on the root; a taken name and the cap refused") {
  test::FsHarness h;
  CHECK(read_pins(*h.fs).empty());
  CHECK(add_pin(*h.fs, pin("b", 2)) == 0);
  CHECK(add_pin(*h.fs, pin("a", 1, "note")) == 0);
  CHECK(add_pin(*h.fs, pin("a", 3)) == EEXIST);
  CHECK(add_pin(*h.fs, pin("2026-12-05T10-00-00", 3)) == EINVAL);
  auto pins = read_pins(*h.fs);
  CHECK(names(pins) == std::vector<std::string>{"a", "b"});
  CHECK(pins[0] == pin("a", 1, "note"));
  // Hidden: no program sees them.
  Bytes list;
  size_t size = 0;
  CHECK(h.fs->listxattr(test::kRoot, 0, &list, &size) == 0);
  CHECK(size == 0);
  // They last: committed with the tree.
  h.reopen();
  CHECK(names(read_pins(*h.fs)) == std::vector<std::string>{"a", "b"});
  CHECK(remove_pin(*h.fs, "a") == 0);
  CHECK(remove_pin(*h.fs, "a") == ENOENT);
  CHECK(names(read_pins(*h.fs)) == std::vector<std::string>{"b"});
  // A value that does not decode is skipped, not fatal.
  REQUIRE(h.fs->set_hidden(test::kRoot, std::string(kPinPrefix) + "broken", Bytes{1, 2, 3}) == 0);
  CHECK(names(read_pins(*h.fs)) == std::vector<std::string>{"b"});
  for (size_t i = read_pins(*h.fs).size(); i < kMaxPins; ++i)
    REQUIRE(add_pin(*h.fs, pin("p" + std::to_string(i), uint8_t(i))) == 0);
  CHECK(add_pin(*h.fs, pin("one-more", 9)) == ENOSPC);
}

TEST_CASE("pins: two computers' pins reach each other, and an unpin reaches both") {
  test::NetworkLikeStore net;
  test::Computer a(net, 1), b(net, 2);
  a.write(a.create(test::kRoot, "f"), 0, std::string("x"));
  REQUIRE(a.fs->commit() == 0);
  test::converge({&a, &b});
  CHECK(add_pin(*a.fs, pin("from-a", 1)) == 0);
  CHECK(add_pin(*b.fs, pin("from-b", 2)) == 0);
  REQUIRE(a.fs->commit() == 0);
  REQUIRE(b.fs->commit() == 0);
  test::converge({&a, &b});
  CHECK(names(read_pins(*a.fs)) == std::vector<std::string>{"from-a", "from-b"});
  CHECK(names(read_pins(*b.fs)) == std::vector<std::string>{"from-a", "from-b"});
  CHECK(remove_pin(*b.fs, "from-a") == 0);
  REQUIRE(b.fs->commit() == 0);
  test::converge({&a, &b});
  CHECK(names(read_pins(*a.fs)) == std::vector<std::string>{"from-b"});
  CHECK(names(read_pins(*b.fs)) == std::vector<std::string>{"from-b"});
}

}  // namespace
}  // namespace peerstore
