// Mount tests, corruption: one flipped byte in one stored chunk block (edited with the LMDB C
// API while unmounted) makes reads of that range fail with EIO, never return wrong bytes,
// leaves other files readable and the process alive, and is logged with the block id.
// Needs a real mount. Relies on the store layout: LMDB env DATA/store, database "blocks",
// key = 32-byte block id, value = ciphertext (65552 bytes for a full 64 KiB chunk).
#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <thread>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

// A full chunk's block: block suite 2 has a 16-byte tag per 4 KiB segment; suite 1 (CPUs
// without AES instructions) one tag.
constexpr size_t kFullChunkBlock = kChunk + 16 * (kChunk / 4096);
constexpr size_t kFullChunkBlockSuite1 = kChunk + 16;

// Owns an LMDB environment and one write transaction; aborts unless committed.
class LmdbEdit {
 public:
  explicit LmdbEdit(const std::string& dir) {
    REQUIRE_EQ(mdb_env_create(&env_), 0);
    mdb_env_set_maxdbs(env_, 16);
    int rc = mdb_env_open(env_, dir.c_str(), 0, 0600);
    REQUIRE_MESSAGE(rc == 0, "mdb_env_open " << dir << ": " << std::string(mdb_strerror(rc)));
    rc = mdb_txn_begin(env_, nullptr, 0, &txn_);
    REQUIRE_MESSAGE(rc == 0, "mdb_txn_begin: " << std::string(mdb_strerror(rc)));
    rc = mdb_dbi_open(txn_, "blocks", 0, &dbi_);
    REQUIRE_MESSAGE(rc == 0,
                    "no \"blocks\" database in " << dir << ": " << std::string(mdb_strerror(rc)));
  }
  ~LmdbEdit() {
    if (txn_) mdb_txn_abort(txn_);
    mdb_env_close(env_);
  }
  LmdbEdit(const LmdbEdit&) = delete;
  LmdbEdit& operator=(const LmdbEdit&) = delete;

  // Keys of the blocks whose value has exactly `size` bytes; `total` gets the block count.
  std::vector<std::string> keys_of_size(size_t size, size_t* total) {
    MDB_cursor* cursor = nullptr;
    REQUIRE_EQ(mdb_cursor_open(txn_, dbi_, &cursor), 0);
    std::vector<std::string> keys;
    MDB_val k, v;
    *total = 0;
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      ++*total;
      if (v.mv_size == size) keys.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
    }
    mdb_cursor_close(cursor);
    return keys;
  }

  void flip_byte(const std::string& key, size_t at) {
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
    REQUIRE_EQ(mdb_get(txn_, dbi_, &k, &v), 0);
    std::string value(static_cast<const char*>(v.mv_data), v.mv_size);
    REQUIRE_LT(at, value.size());
    value[at] = static_cast<char>(value[at] ^ 0x5a);
    MDB_val nv{value.size(), value.data()};
    int rc = mdb_put(txn_, dbi_, &k, &nv, 0);
    REQUIRE_MESSAGE(rc == 0, "mdb_put: " << std::string(mdb_strerror(rc)));
  }

  void commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    REQUIRE_MESSAGE(rc == 0, "mdb_txn_commit: " << std::string(mdb_strerror(rc)));
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbi_ = 0;
};

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

bool has_line_with(const std::string& log, const std::string& a, const std::string& b) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    std::transform(line.begin(), line.end(), line.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("corruption: a flipped byte in a chunk block is EIO and never wrong data") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  const std::string big = random_bytes(4 * kChunk, 4001);
  const std::string small = random_bytes(1000, 4002);
  write_file(fx.path("big"), big);
  write_file(fx.path("small"), small);
  REQUIRE_EQ(fx.unmount(), 0);

  std::string corrupted_key;
  {
    LmdbEdit edit(fx.data_dir() + "/store");
    size_t total = 0;
    auto keys = edit.keys_of_size(kFullChunkBlock, &total);
    if (keys.empty()) keys = edit.keys_of_size(kFullChunkBlockSuite1, &total);
    MESSAGE("blocks: " << total << ", of them full chunks: " << keys.size());
    REQUIRE_MESSAGE(keys.size() >= 4, "expected the 4 chunk blocks of the 256 KiB file");
    corrupted_key = keys[keys.size() / 2];
    REQUIRE_EQ(corrupted_key.size(), 32u);
    edit.flip_byte(corrupted_key, 1000);
    edit.commit();
  }
  const std::string prefix = to_hex(corrupted_key).substr(0, 8);
  fx.mount();

  // Chunk by chunk: the damaged one fails with EIO; any chunk that reads returns exact bytes.
  Fd fd = open_or_die(fx.path("big"), O_RDONLY);
  CHECK_EQ(fstat_of(fd.get()).st_size, static_cast<off_t>(big.size()));
  int eio = 0;
  for (size_t c = 0; c < 4; ++c) {
    CAPTURE(c);
    std::string buf(kChunk, '\0');
    ssize_t n = pread(fd.get(), buf.data(), kChunk, c * kChunk);
    int e = errno;
    if (n < 0) {
      CHECK_MESSAGE(e == EIO, "chunk " << c << ": " << errno_name(e));
      ++eio;
    } else {
      // A short read is fine only if what it returns is right.
      CHECK_BYTES(std::string_view(buf).substr(0, n), std::string_view(big).substr(c * kChunk, n));
      CHECK_EQ(static_cast<size_t>(n), kChunk);
    }
  }
  CHECK_MESSAGE(eio >= 1, "no chunk of the damaged file failed to read");
  // Reading the whole file sequentially fails too (and does not hang).
  {
    Fd whole = open_or_die(fx.path("big"), O_RDONLY);
    std::string buf(1 << 20, '\0');
    ssize_t n = 0;
    size_t total = 0;
    while ((n = read(whole.get(), buf.data(), buf.size())) > 0) {
      CHECK_BYTES(std::string_view(buf).substr(0, n), std::string_view(big).substr(total, n));
      total += n;
    }
    int e = errno;
    CHECK_EQ(n, -1);
    CHECK_MESSAGE(e == EIO, errno_name(e));
  }

  CHECK_BYTES(read_file(fx.path("small")), small);
  REQUIRE_MESSAGE(fx.process()->running(), "peerstorefs died: " << fx.log());
  // The file system stays usable.
  write_file(fx.path("after"), "after");
  CHECK_EQ(read_file(fx.path("after")), "after");

  // Logged, with the block id; the log line may trail the failing read.
  bool logged = false;
  for (int i = 0; i < 100 && !(logged = has_line_with(fx.process()->output(), "block", prefix));
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_MESSAGE(logged, "no stderr line with \"block\" and " << prefix << ": " << fx.log());
}

}  // namespace peerstore::test
