// MountClaims: the claims a mount makes for this computer (docs/lifecycle.md, Ring collection),
// as the UploadQueue's claim hook: a commit's new blocks are claimed before its heads go up.
// Each volume the mount writes has a Claimant over the computer's claim book (a table of its
// store) and the ring. One worker thread of its own runs them, since a claim waits for the
// ring's answers and the upload queue's worker must not. A volume it was not told of (a share
// this user only reads, a linked volume: not yet) claims nothing, and its blocks stay
// unclaimed, which keeps them: the ring never releases a block without claims. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "dht/claimant.h"
#include "fs/volume.h"

namespace peerstore::host {

class MountClaims {
 public:
  // `table` and `sink` must outlive this.
  MountClaims(KvTable& table, ClaimSink& sink, const PublicKey& device);
  // Answers what is still queued with Errc::unavailable, then stops the worker.
  ~MountClaims();
  MountClaims(const MountClaims&) = delete;
  MountClaims& operator=(const MountClaims&) = delete;

  // A volume this computer writes; Errc::permission for keys without a signer. Queues a resume
  // of what the last run left pending for it (Claimant::resume).
  Status add_volume(const VolumeKeys& keys);
  // UploadQueueOptions::claim: claims `blocks` in `volume`'s name on the worker; `done` runs
  // there, ok at once for a volume it was not told of.
  void claim(const VolumeId& volume, std::vector<BlockId> blocks, std::function<void(Status)> done);
  // claim() as an UploadQueueOptions::claim hook; this must outlive the queue that calls it.
  std::function<void(const VolumeId&, std::vector<BlockId>, std::function<void(Status)>)>
  upload_hook() {
    return [this](const VolumeId& v, std::vector<BlockId> ids, std::function<void(Status)> done) {
      claim(v, std::move(ids), std::move(done));
    };
  }
  // Claim before adopting (docs/lifecycle.md, Ring collection): claims in the name of the
  // volume every block its version `head` reaches that this device holds no live claim on, and
  // waits until the ring took them. Live sync calls it (FileSystem::Options::before_adopt),
  // with no lock of the file system held, before it moves the tree to a head of another
  // computer or merges with it: otherwise this device could adopt a version, go offline, and
  // come back after the writer released blocks that an edit on top of it still names. The walk
  // does not enter a subtree whose top block has a live claim of this device: this device
  // claims whole versions (what it writes, what it adopts), so the claims of that subtree are
  // live too. Reads on the calling thread; claims through the worker.
  Status claim_version(peerstore::Volume& volume, const Head& head);
  // The collector's cancel (Claimant::cancel_unreached) of this device's claims in `volume` on
  // the blocks `reached` says nothing retained reaches, on the worker, where `done` runs (and
  // `reached` is called); nothing for a volume it was not told of.
  void cancel_unreached(const VolumeId& volume, std::function<bool(const BlockId&)> reached,
                        std::function<void(Result<Claimant::Counts>)> done);

 private:
  using Job = std::function<void(bool stopping)>;
  void post(Job job);
  void run();

  ClaimBook book_;
  ClaimSink& sink_;
  PublicKey device_;
  std::mutex m_;
  std::condition_variable cv_;
  struct Volume {
    std::unique_ptr<Claimant> claimant;
    bool resume = false;  // a send failed: what it left pending goes first next time
  };
  std::map<VolumeId, Volume> volumes_;  // used by the worker only
  // On the worker: resumes what a failed send left pending in `vol`, if any.
  Status resume_first(Volume& vol);
  std::set<VolumeId> known_;  // under m_: the volumes add_volume was told of
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace peerstore::host
