// DataDirLayout names every path of a data and a config directory. The contract: each path is
// where the layer that reads or writes the file looks for it (the lock, the key files, LMDB),
// and empty directories fall back to the XDG defaults.
#include "host/data_dir_layout.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "../common/must.h"
#include "../common/temp_dir.h"
#include "keys/identity.h"
#include "keys/network_secret.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"

namespace peerstore::host {
namespace {

using test::must;

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Sets an environment variable for the life of the object, then restores it.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~EnvVar() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("layout: every path is inside its directory") {
  DataDirLayout l("/d", "/c");
  CHECK(l.data() == "/d");
  CHECK(l.config() == "/c");
  CHECK(l.store() == "/d/store");
  CHECK(l.node_address() == "/d/node.addr");
  CHECK(l.network_key() == "/d/network.key");
  CHECK(l.device_key() == "/d/device.key");
  CHECK(l.lock() == "/d/lock");
  CHECK(l.user_key() == "/c/user.key");
  CHECK(std::string(DataDirLayout::kRingHeadsDb) == "ring_heads");
  // The client's own directory, inside DATA, with the same identity.
  DataDirLayout c = l.client();
  CHECK(c.data() == "/d/client");
  CHECK(c.config() == "/c");
  CHECK(c.store() == "/d/client/store");
  CHECK(c.lock() == "/d/client/lock");
  CHECK(c.device_key() == "/d/client/device.key");
  CHECK(c.backup_index() == "/d/client/backup.index");
  CHECK(c.unsynced() == "/d/client/unsynced");
}

TEST_CASE("layout: relative directories are made absolute at once") {
  // A daemonized mount changes to / after parsing its arguments; relative paths taken as they
  // are would then name other directories.
  test::TempDir dir;
  std::string here = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  std::string base = std::filesystem::current_path();
  DataDirLayout l("data/./x", "cfg");
  std::filesystem::current_path(here);
  CHECK(l.data() == base + "/data/x");
  CHECK(l.config() == base + "/cfg");
  CHECK(l.store() == base + "/data/x/store");
}

TEST_CASE("layout: the files the layers create are where the layout says") {
  test::TempDir dir;
  DataDirLayout l(dir.file("data"), dir.file("config"));
  must(Identity::load_or_create(l.config(), l.data()));
  CHECK(exists(l.user_key()));
  CHECK(exists(l.device_key()));
  must(load_or_create_network_secret(l.data()));
  CHECK(exists(l.network_key()));
  auto lock = must(DataDirLock::acquire(l.data()));
  CHECK(exists(l.lock()));
  must(LmdbStore::open(l.store()));
  CHECK(exists(l.store()));
}

TEST_CASE("layout: empty directories are the XDG defaults") {
  SUBCASE("XDG variables set") {
    EnvVar data("XDG_DATA_HOME", "/xdg/data"), config("XDG_CONFIG_HOME", "/xdg/config");
    DataDirLayout l;
    CHECK(l.data() == "/xdg/data/peerstore");
    CHECK(l.config() == "/xdg/config/peerstore");
    CHECK(DataDirLayout("", "/c").data() == "/xdg/data/peerstore");
    CHECK(DataDirLayout("/d").config() == "/xdg/config/peerstore");
  }
  SUBCASE("only HOME") {
    EnvVar data("XDG_DATA_HOME", ""), config("XDG_CONFIG_HOME", nullptr), home("HOME", "/h");
    CHECK(default_data_dir() == "/h/.local/share/peerstore");
    CHECK(default_config_dir() == "/h/.config/peerstore");
  }
  SUBCASE("no HOME either") {
    EnvVar data("XDG_DATA_HOME", nullptr), home("HOME", nullptr);
    CHECK(default_data_dir() == "/root/.local/share/peerstore");
  }
}

}  // namespace
}  // namespace peerstore::host
