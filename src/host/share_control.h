// ShareControl: what a running peerstorefs does for `peerstore-share` (docs/sharing.md). The
// tool sets the extended attribute "peerstore.share.grant" on a folder of the mount to
// "USER_ID rw" or "USER_ID ro"; MountTree hands it here. A grant:
// - makes the folder a volume of its own if it is not one yet (FileSystem::split_into: new
//   keys, the folder's records as the new tree, a link in its place; nothing re-encrypted);
// - seals the volume's keys (the signing key only for "rw") to the recipient, signs the grant
//   with the user's key and puts it in the recipient's inbox on the ring, waiting up to 10 s.
// A revoke ("peerstore.share.revoke" = USER_ID, share_revoke.cc) rotates the folder to a new
// volume under a RevokeJournal, re-grants the other members and withdraws the revoked one's;
// its exposure report is read back in pages. Leave, name and list are smaller requests.
// Errors are errnos (the tool turns them into sentences) and one line in the mount's log.
// Thread-safe: requests come on FUSE threads; one runs at a time (so does the thread that
// carries on unfinished revokes).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "dht/dht_client.h"
#include "fs/mount_tree.h"
#include "keys/revoke_journal.h"

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
  // Set on a folder the user shares to "USER_ID": revokes that user's access (share_revoke.cc:
  // the volume rotates to new keys, the other members get grants of the new epoch).
  static constexpr std::string_view kRevoke = "peerstore.share.revoke";
  // Read after a revoke, in pages of kReportPage bytes ("peerstore.share.report.N", N from 0;
  // a shorter page is the last): the exposure report of this mount's last revoke.
  static constexpr std::string_view kReport = "peerstore.share.report.";
  static constexpr size_t kReportPage = 60000;
  // Where a grant made is recorded: a hidden attribute of the home root (FileSystem::
  // set_hidden), "peerstore.grant.VOLUME.RECIPIENT" (hex) = mode(1: rw) || time(8) || link(8).
  static constexpr std::string_view kGrantRecord = "peerstore.grant.";

  // Puts a grant in its recipient's inbox on the ring; waits for the answer.
  using PostGrant = std::function<Status(const Grant&)>;
  // Through `dht` (which must outlive it), waiting up to 10 s.
  static PostGrant post_through(DhtClient& dht);

  // `store` must outlive it; `opts` are the home volume's file system options.
  ShareControl(LocalStore& store, PostGrant post, const SigningKey& user, PublicKey device,
               FileSystem::Options opts);

  ~ShareControl();

  // Carries on the revokes this computer left unfinished (a crash, the ring out of reach):
  // at once, then every 10 s until none is left, on a thread of its own. stop() ends it
  // (before the tree closes).
  void start(MountTree& tree);
  void stop();

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
  // share_revoke.cc. ENOENT: `revoked` holds no grant of this folder; EINVAL: no folder this
  // user shares; EBUSY: a file in it is open for writing; EAGAIN: rotated, but the new grants
  // did not reach the ring (sent again every 10 s).
  int revoke(MountTree& tree, uint64_t kino, const PublicKey& revoked);
  // Runs a journal from its stage to the end: all of it when `fresh` (revoke() just began
  // it); else (a restart) one whose link has not moved yet is rolled back.
  int carry_on(MountTree& tree, const VolumeId& old, RevokeJournal j, bool fresh);
  // The unfinished journals of this computer: stage 1 rolled back, the others carried on.
  // Returns the first error; *done: the users whose revokes finished.
  int finish_pending(MountTree& tree, std::vector<PublicKey>* done);
  void set_journal(FileSystem& home, const VolumeId& old, const RevokeJournal& j);
  std::string report_text(const GrantContent& old, const std::string& where,
                          const PublicKey& revoked);
  static int64_t now_ns();
  // A new volume's keys as the user's own link (`lineage` null: its own id).
  GrantContent fresh_volume(std::string folder, const Id256* lineage, uint64_t epoch) const;
  // Opens the volume `c` names for writing, with the home volume's options.
  Result<std::unique_ptr<FileSystem>> open_volume(const GrantContent& c);
  static Secret link_bytes(const GrantContent& c);  // c.encode(), in wiped memory

  LocalStore& store_;
  PostGrant post_;
  SigningKey user_;
  PublicKey device_;
  FileSystem::Options opts_;
  std::mutex mu_;  // one request at a time
  std::function<void()> on_change_;
  std::string report_;  // the last revoke's exposure report
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::thread runner_;
};

}  // namespace peerstore::host
