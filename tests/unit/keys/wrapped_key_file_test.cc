// Passphrase-wrapped key files (format version 2). The contract: the seed comes back only with
// the right passphrase; a wrong or missing one is a one-line error and never a new identity; a
// damaged file is corrupt; a file cannot make us spend more than the capped Argon2 cost (checked
// before the passphrase is even asked for); changing or removing the passphrase keeps the seed.
// Files are written with Argon2's minimum cost here, through the format's own fields.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "../common/must.h"
#include "../common/temp_dir.h"
#include "common/bytes.h"
#include "common/msgpack_codec.h"
#include "keys/identity.h"
#include "keys/invite_token.h"
#include "keys/key_file.h"
#include "keys/network_secret.h"
#include "keys/passphrase.h"

namespace peerstore {
namespace {

using test::must;

constexpr KdfLimits kFast{1, 8192};

Secret seed_of(uint8_t fill) {
  return Secret(Bytes(32, fill));
}
Secret pass(const char* s) {
  return Secret(as_bytes(s));
}

// A source that counts how often it was asked.
struct CountingSource {
  std::string value;
  int calls = 0;
  PassphraseSource source() {
    return [this]() -> Result<Secret> {
      ++calls;
      return Secret(as_bytes(value));
    };
  }
};

Bytes read_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

// A version-2 file with chosen fields, as a hostile or damaged file may hold.
Bytes wrapped_with(uint64_t ops, uint64_t mem, size_t salt = 16, size_t nonce = 24,
                   size_t sealed = 48) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(8);
  pk.pack(std::string("peerstore-key"));
  pk.pack(2);
  pk.pack(std::string("user"));
  mp::pack_bin(pk, Bytes(salt, 1));
  pk.pack(ops);
  pk.pack(mem);
  mp::pack_bin(pk, Bytes(nonce, 2));
  mp::pack_bin(pk, Bytes(sealed, 3));
  return mp::to_bytes(buf);
}

TEST_CASE("a wrapped key round-trips with its passphrase and only with it") {
  Secret file = must(encode_wrapped_key_file("user", seed_of(7), pass("correct horse"), kFast));
  CountingSource right{"correct horse"};
  DecodedKey k = must(decode_key_file(file.view(), "user", "K", right.source()));
  CHECK(k.wrapped);
  CHECK(k.seed == seed_of(7));
  CHECK(right.calls == 1);
  // No seed bytes in the file.
  std::string_view bytes(reinterpret_cast<const char*>(file.data()), file.size());
  CHECK(bytes.find(std::string(32, '\x07')) == std::string_view::npos);

  CountingSource wrong{"correct hors"};
  auto bad = decode_key_file(file.view(), "user", "/c/user.key", wrong.source());
  REQUIRE(bad.code() == Errc::permission);
  CHECK(bad.error().context == "wrong passphrase for /c/user.key");

  // Another kind of key: refused before any passphrase is asked for.
  CountingSource any{"correct horse"};
  CHECK(decode_key_file(file.view(), "device", "K", any.source()).code() == Errc::corrupt);
  CHECK(any.calls == 0);

  // A plain file never asks.
  Secret plain = encode_key_file("user", seed_of(7));
  DecodedKey p = must(decode_key_file(plain.view(), "user", "K", any.source()));
  CHECK_FALSE(p.wrapped);
  CHECK(any.calls == 0);
}

TEST_CASE("a wrapped file without a passphrase source is refused with what to do") {
  test::TempDir dir;
  std::string path = dir.file("user.key");
  REQUIRE(write_key_file(path, "user", seed_of(1)).ok());
  REQUIRE(replace_key_file(path, "user", seed_of(1), pass("pw"), kFast).ok());
  auto r = read_key_file(path, "user");
  REQUIRE(r.code() == Errc::permission);
  CHECK(r.error().context ==
        "user key " + path +
            " is protected by a passphrase; set PEERSTORE_PASSPHRASE or run from "
            "a terminal");
  // A source that fails (no terminal) passes its error on.
  auto no_tty =
      unlock_key_file(path, "user", [] { return Result<Secret>(fail(Errc::permission, "x")); });
  CHECK(no_tty.code() == Errc::permission);
}

TEST_CASE("a wrong passphrase never makes a new identity") {
  test::TempDir dir;
  Identity first = must(Identity::load_or_create(dir.path()));
  std::string path = Identity::user_key_path(dir.path());
  REQUIRE(replace_key_file(path, "user", first.user.seed(), pass("s3cret"), kFast).ok());
  Bytes before = read_raw(path);

  CountingSource wrong{"nope"};
  auto r = Identity::load_or_create(dir.path(), {}, wrong.source());
  REQUIRE(r.code() == Errc::permission);
  CHECK(r.error().context == "wrong passphrase for " + path);
  CHECK(read_raw(path) == before);
  CHECK(Identity::load_or_create(dir.path()).code() == Errc::permission);  // no source at all
  CHECK(read_raw(path) == before);

  CountingSource right{"s3cret"};
  Identity again = must(Identity::load_or_create(dir.path(), {}, right.source()));
  CHECK(again.user.public_key() == first.user.public_key());
  CHECK(again.device.public_key() == first.device.public_key());  // the device key is plain
}

TEST_CASE("truncated, garbled and malformed wrapped files are corrupt, never a crash") {
  Secret file = must(encode_wrapped_key_file("user", seed_of(7), pass("pw"), kFast));
  CountingSource src{"pw"};
  for (size_t n = 0; n < file.size(); ++n) {
    CAPTURE(n);
    CHECK(decode_key_file({file.data(), n}, "user", "K", src.source()).code() == Errc::corrupt);
  }
  CHECK(src.calls == 0);
  // Any flipped byte: corrupt, a failed unlock, or (low bits of memlimit, which Argon2 rounds to
  // whole KiB) the same key; never another seed.
  for (size_t i = 0; i < file.size(); ++i) {
    CAPTURE(i);
    Bytes b(file.data(), file.data() + file.size());
    b[i] ^= 0x40;
    auto r = decode_key_file(b, "user", "K", src.source());
    if (r.ok()) CHECK(r->seed == seed_of(7));
  }
  for (auto bad : {wrapped_with(1, 8192, 15), wrapped_with(1, 8192, 16, 23),
                   wrapped_with(1, 8192, 16, 24, 47), wrapped_with(1, 8192, 16, 24, 49)})
    CHECK(decode_key_file(bad, "user", "K", src.source()).code() == Errc::corrupt);
  Bytes garbage(3000);
  randombytes_buf(garbage.data(), garbage.size());
  CHECK(decode_key_file(garbage, "user", "K", src.source()).code() == Errc::corrupt);
  CHECK(decode_key_file(Bytes(5000, 0x92), "user", "K", src.source()).code() == Errc::corrupt);
}

TEST_CASE("absurd Argon2 limits in a file are refused before anything is derived") {
  CountingSource src{"pw"};
  auto started = std::chrono::steady_clock::now();
  for (auto [ops, mem] : std::initializer_list<std::pair<uint64_t, uint64_t>>{
           {1, uint64_t(100) << 30},  // 100 GiB
           {1, uint64_t(2) << 30},    // over the 1 GiB cap
           {1, ~uint64_t(0)},
           {1000000, 8192},
           {~uint64_t(0), 8192},
           {0, 8192},
           {1, 1024}}) {
    CAPTURE(ops);
    CAPTURE(mem);
    auto r = decode_key_file(wrapped_with(ops, mem), "user", "/c/user.key", src.source());
    REQUIRE(r.code() == Errc::corrupt);
    CHECK(r.error().context.find("/c/user.key") != std::string::npos);
  }
  CHECK(src.calls == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
  // Nor can a caller write one.
  CHECK(encode_wrapped_key_file("user", seed_of(1), pass("pw"), {1, uint64_t(100) << 30}).code() ==
        Errc::invalid);
}

TEST_CASE("passwd: set, change and remove keep the seed and the file's mode") {
  test::TempDir dir;
  std::string path = dir.file("user.key");
  REQUIRE(write_key_file(path, "user", seed_of(4)).ok());
  auto check_file = [&](const char* pw, bool wrapped) {
    CountingSource src{pw};
    DecodedKey k = must(unlock_key_file(path, "user", src.source()));
    CHECK(k.seed == seed_of(4));
    CHECK(k.wrapped == wrapped);
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    size_t files = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
    CHECK(files == 1);  // no temporary file left behind
  };
  REQUIRE(replace_key_file(path, "user", seed_of(4), pass("one"), kFast).ok());
  check_file("one", true);
  CountingSource old_wrong{"two"};
  CHECK(unlock_key_file(path, "user", old_wrong.source()).code() == Errc::permission);

  DecodedKey k = must(unlock_key_file(path, "user", CountingSource{"one"}.source()));
  REQUIRE(replace_key_file(path, "user", k.seed, pass("two"), kFast).ok());
  check_file("two", true);
  CHECK(unlock_key_file(path, "user", CountingSource{"one"}.source()).code() == Errc::permission);

  REQUIRE(replace_key_file(path, "user", k.seed, Secret(), kFast).ok());
  check_file("", false);
  CHECK(must(read_key_file(path, "user")) == seed_of(4));
}

TEST_CASE("no error message holds a secret, in hex or base64, or a passphrase") {
  test::TempDir dir;
  Secret secret = must(load_or_create_network_secret(dir.path()));
  std::string hex = to_hex(secret.view());
  std::string token = must(InviteToken::format("127.0.0.1:3000", secret));
  std::string b64 = token.substr(InviteToken::kPrefix.size(), 40);
  std::vector<std::string> messages;
  auto keep = [&](const auto& r) {
    REQUIRE_FALSE(r.ok());
    messages.push_back(r.error().message());
  };
  keep(adopt_network_secret(dir.path(), Secret(Bytes(32, 1))));
  keep(InviteToken::parse(token.substr(0, token.size() - 1)));
  keep(InviteToken::parse(token + "x"));
  std::string flipped = token;
  flipped[30] = flipped[30] == 'a' ? 'b' : 'a';
  keep(InviteToken::parse(flipped));
  keep(InviteToken::format("bad address", secret));

  std::string user = dir.file("user.key");
  REQUIRE(write_key_file(user, "user", secret).ok());
  REQUIRE(replace_key_file(user, "user", secret, pass("hunter2-passphrase"), kFast).ok());
  keep(unlock_key_file(user, "user", CountingSource{"wrong-passphrase"}.source()));
  keep(read_key_file(user, "user"));
  keep(read_key_file(user, "device"));
  REQUIRE(::chmod(user.c_str(), 0644) == 0);
  keep(read_key_file(user, "user"));

  for (auto& m : messages) {
    CAPTURE(m);
    CHECK(m.find(hex) == std::string::npos);
    CHECK(m.find(hex.substr(0, 16)) == std::string::npos);
    CHECK(m.find(b64) == std::string::npos);
    CHECK(m.find(b64.substr(18, 16)) == std::string::npos);
    CHECK(m.find("hunter2") == std::string::npos);
    CHECK(m.find("wrong-passphrase") == std::string::npos);
  }
}

// The production cost (MODERATE) must unlock in well under the 1.5 s a person waits for.
TEST_CASE("unlocking with the default Argon2 limits takes under a few seconds") {
  Secret file = must(encode_wrapped_key_file("user", seed_of(2), pass("pw")));
  auto started = std::chrono::steady_clock::now();
  DecodedKey k = must(decode_key_file(file.view(), "user", "K", CountingSource{"pw"}.source()));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("unlocking a user key with the default (MODERATE) limits took " << took << " s");
  CHECK(k.seed == seed_of(2));
  CHECK(took < 10);  // a generous ceiling for a loaded machine; the figure is reported above
}

}  // namespace
}  // namespace peerstore
