// DataDirLayout: the one list of the paths in a node's data directory (DATA) and the user's
// config directory (CONFIG), with their XDG defaults. A value; thread-safe.
#pragma once

#include <string>

namespace peerstore::host {

// $XDG_xxx/peerstore, or ~/<home_suffix> (/root/<home_suffix> without $HOME).
std::string default_dir(const char* xdg_var, const char* home_suffix);
std::string default_data_dir();    // $XDG_DATA_HOME/peerstore or ~/.local/share/peerstore
std::string default_config_dir();  // $XDG_CONFIG_HOME/peerstore or ~/.config/peerstore

// Code above the layers asks the layout for a path and never builds one itself. The file names
// that a lower layer owns with its format (network.key, device.key, lock) come from that layer.
class DataDirLayout {
 public:
  // The directories as given on the command line, made absolute against the current directory
  // (a daemon changes to /); an empty one is its default.
  explicit DataDirLayout(std::string data, std::string config = {});
  DataDirLayout() : DataDirLayout({}, {}) {}

  const std::string& data() const { return data_; }
  const std::string& config() const { return config_; }

  std::string store() const;  // DATA/store: the LMDB environment (blocks, heads)
  // DATA/store.after-power-cut-STAMP: where a storage node moves a store that a power cut may
  // have corrupted (store/unsynced_marker.h), so that it starts empty and nothing is deleted.
  std::string store_set_aside(const std::string& stamp) const;
  std::string node_address() const;  // DATA/node.addr: the running node's address
  std::string conflicts() const;     // DATA/conflicts: the conflict log of live sync
  std::string brakes() const;        // DATA/brakes: the mass deletions the brake caught
  std::string thinned() const;       // DATA/thinned: how far space pressure thinned snapshots
  std::string network_key() const;   // DATA/network.key: the network secret
  std::string device_key() const;    // DATA/device.key: this computer's key, its ring id
  std::string lock() const;          // DATA/lock: held by the process that uses DATA
  std::string user_key() const;      // CONFIG/user.key: the user's identity
  // DATA/client: the data directory of `peerstore backup`, `restore`... on this computer (a
  // writer of the user's tree of its own: its store, lock and device key), with the same CONFIG.
  DataDirLayout client() const;
  std::string backup_index() const;  // DATA/backup.index (in a client's layout)
  // DATA/unsynced (in a client's layout): there while a command may hold writes the ring
  // lacks; the next command uploads the client's whole store again.
  std::string unsynced() const;
  // The LMDB heads database in store() that holds the head sets the node keeps for the ring
  // (the mount's own heads are in the default one).
  static constexpr const char* kRingHeadsDb = "ring_heads";
  // The table in store() of this computer's claims on blocks (store/claim_book.h).
  static constexpr const char* kClaimsDb = "claims";

 private:
  std::string data_, config_;
};

}  // namespace peerstore::host
