#include "host/data_dir_layout.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "keys/identity.h"
#include "keys/network_secret.h"
#include "store/data_dir_lock.h"

namespace peerstore::host {

std::string default_dir(const char* xdg_var, const char* home_suffix) {
  if (const char* x = std::getenv(xdg_var); x && *x) return std::string(x) + "/peerstore";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + home_suffix;
}

std::string default_data_dir() {
  return default_dir("XDG_DATA_HOME", "/.local/share/peerstore");
}

std::string default_config_dir() {
  return default_dir("XDG_CONFIG_HOME", "/.config/peerstore");
}

namespace {

// A relative directory is made absolute now: a daemonized mount changes to / before it opens
// its store, and a relative DATA would then name another directory than the one its keys were
// written to.
std::string absolute(std::string dir) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(dir, ec);
  return ec ? dir : abs.lexically_normal().string();
}

}  // namespace

DataDirLayout::DataDirLayout(std::string data, std::string config)
    : data_(absolute(data.empty() ? default_data_dir() : std::move(data))),
      config_(absolute(config.empty() ? default_config_dir() : std::move(config))) {}

std::string DataDirLayout::store() const {
  return data_ + "/store";
}

std::string DataDirLayout::store_set_aside(const std::string& stamp) const {
  return data_ + "/store.after-power-cut-" + stamp;
}

DataDirLayout DataDirLayout::client() const {
  return DataDirLayout(data_ + "/client", config_);
}

std::string DataDirLayout::backup_index() const {
  return data_ + "/backup.index";
}

std::string DataDirLayout::unsynced() const {
  return data_ + "/unsynced";
}

std::string DataDirLayout::conflicts() const {
  return data_ + "/conflicts";
}

std::string DataDirLayout::brakes() const {
  return data_ + "/brakes";
}

std::string DataDirLayout::thinned() const {
  return data_ + "/thinned";
}

std::string DataDirLayout::node_address() const {
  return data_ + "/node.addr";
}

std::string DataDirLayout::network_key() const {
  return network_secret_path(data_);
}

std::string DataDirLayout::device_key() const {
  return Identity::device_key_path(data_);
}

std::string DataDirLayout::lock() const {
  return DataDirLock::lock_path(data_);
}

std::string DataDirLayout::user_key() const {
  return Identity::user_key_path(config_);
}

}  // namespace peerstore::host
