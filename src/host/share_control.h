// ShareControl: what a running peerstorefs does for `peerstore-share` (docs/sharing.md). The
// tool sets the extended attribute "peerstore.share.grant" on a folder of the mount to
// "USER_ID rw" or "USER_ID ro"; MountTree hands it here. A grant:
// - makes the folder a volume of its own if it is not one yet (FileSystem::split_into: new
//   keys, the folder's records as the new tree, a link in its place; nothing re-encrypted);
// - seals the volume's keys (the signing key only for "rw") to the recipient, signs the grant
//   with the user's key and puts it in the recipient's inbox on the ring, waiting up to 10 s.
// Errors are errnos (the tool turns them into sentences) and one line in the mount's log.
// Thread-safe: requests come on FUSE threads; one runs at a time.
#pragma once

#include <mutex>

#include "dht/dht_client.h"
#include "fs/mount_tree.h"
#include "store/tiered_store.h"

namespace peerstore::host {

class ShareControl : public MountTree::Control {
 public:
  static constexpr std::string_view kGrant = "peerstore.share.grant";
  // Set (to anything) on a folder under /shared: leaves that share (removes its link; the
  // receiver then records it as left).
  static constexpr std::string_view kLeave = "peerstore.share.leave";
  // Set on any path of the mount to "USER_ID NAME": the name shown for that user's shares.
  static constexpr std::string_view kName = "peerstore.share.name";
  // Read on any path of the mount: the grants this user made and the shares they received,
  // as text for people (what `peerstore-share list` prints).
  static constexpr std::string_view kList = "peerstore.share.list";
  // Where a grant made is recorded: a hidden attribute of the home root (FileSystem::
  // set_hidden), "peerstore.grant.VOLUME.RECIPIENT" (hex) = mode(1: rw) || time(8) || link(8).
  static constexpr std::string_view kGrantRecord = "peerstore.grant.";

  // `store` and `dht` must outlive it; `opts` are the home volume's file system options.
  ShareControl(TieredStore& store, DhtClient& dht, const SigningKey& user, PublicKey device,
               FileSystem::Options opts);

  // EINVAL: a bad request, the mount's root, or the user's own id; EEXIST: inside a shared
  // folder, or holding one; EBUSY: files open in it; EXDEV: a hard link leads out of it;
  // EAGAIN: the folder is a volume now but the grant did not reach the ring (run it again).
  // Called after a change the share receiver should act on soon (a name given).
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }

  int request(MountTree& tree, uint64_t kino, std::string_view name, ByteView value) override;
  int query(MountTree& tree, uint64_t kino, std::string_view name, std::string* out) override;

 private:
  int grant(MountTree& tree, uint64_t kino, const PublicKey& recipient, bool write);
  int leave(MountTree& tree, uint64_t kino);
  // A new volume for the folder at `where`; fills `content` with its keys (as its own link).
  int split(const MountTree::Where& where, GrantContent* content, uint64_t* link_ino);
  std::string list(MountTree& tree);
  Status put_grant(const Grant& g);

  TieredStore& store_;
  DhtClient& dht_;
  SigningKey user_;
  PublicKey device_;
  FileSystem::Options opts_;
  std::mutex mu_;  // one request at a time
  std::function<void()> on_change_;
};

}  // namespace peerstore::host
