#include "host/mount_claims.h"

#include <algorithm>
#include <future>

#include "common/log.h"
#include "common/thread_name.h"
#include "fs/reachability.h"

namespace peerstore::host {

MountClaims::MountClaims(KvTable& table, ClaimSink& sink, const PublicKey& device)
    : book_(table), sink_(sink), device_(device) {
  worker_ = std::thread([this] {
    name_this_thread("ps-claims");
    run();
  });
}

MountClaims::~MountClaims() {
  {
    std::lock_guard lk(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void MountClaims::post(Job job) {
  {
    std::lock_guard lk(m_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      cv_.notify_all();
      return;
    }
  }
  job(true);
}

void MountClaims::run() {
  std::unique_lock lk(m_);
  for (;;) {
    cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    bool stopping = stopping_;
    lk.unlock();
    job(stopping);
    lk.lock();
  }
}

Status MountClaims::add_volume(const VolumeKeys& keys) {
  PS_ASSIGN(auto secrets, ClaimSecrets::of(keys));
  VolumeId v = keys.id();
  {
    std::lock_guard lk(m_);
    known_.insert(v);
  }
  post([this, v, secrets = std::make_shared<ClaimSecrets>(std::move(secrets))](bool stopping) {
    if (stopping) return;
    Volume vol{std::make_unique<Claimant>(std::move(*secrets), device_, v, book_, sink_)};
    if (auto r = vol.claimant->resume(); !r) {
      log::warn("claims of volume " + v.short_hex() +
                " left pending by the last run are not on the network yet (" + r.error().message() +
                "); the next commit sends them again");
      vol.resume = true;
    }
    volumes_[v] = std::move(vol);
  });
  return {};
}

Status MountClaims::resume_first(Volume& vol) {
  if (!vol.resume) return {};
  // What a failure left pending goes first.
  auto pending = vol.claimant->resume();
  if (!pending) return pending.error();
  vol.resume = false;
  return {};
}

void MountClaims::claim(const VolumeId& volume, std::vector<BlockId> blocks,
                        std::function<void(Status)> done) {
  post([this, volume, blocks = std::move(blocks), done = std::move(done)](bool stopping) {
    if (stopping) return done(fail(Errc::unavailable, "the mount is stopping"));
    auto it = volumes_.find(volume);
    if (it == volumes_.end()) return done({});
    Volume& vol = it->second;
    if (Status st = resume_first(vol); !st) return done(st);
    auto r = vol.claimant->claim(blocks);
    if (!r) vol.resume = true;
    done(r ? Status() : Status(r.error()));
  });
}

void MountClaims::cancel_unreached(const VolumeId& volume,
                                   std::function<bool(const BlockId&)> reached,
                                   std::function<void(Result<Claimant::Counts>)> done) {
  post([this, volume, reached = std::move(reached), done = std::move(done)](bool stopping) {
    if (stopping) return done(fail(Errc::unavailable, "the mount is stopping"));
    auto it = volumes_.find(volume);
    if (it == volumes_.end()) return done(Claimant::Counts{});
    Volume& vol = it->second;
    if (Status st = resume_first(vol); !st) return done(st.error());
    auto r = vol.claimant->cancel_unreached(reached);
    if (!r) vol.resume = true;
    done(std::move(r));
  });
}

Status MountClaims::claim_version(peerstore::Volume& volume, const Head& head) {
  const VolumeId v = volume.keys().id();
  {
    std::lock_guard lk(m_);
    if (!known_.count(v)) return {};  // a volume this computer does not claim in
  }
  std::vector<BlockId> ids;
  Status looked;  // the first failed lookup of the book
  auto live = [&](const BlockId& id) {
    auto found = book_.find(v, std::span<const BlockId>(&id, 1));
    if (!found) {
      if (looked.ok()) looked = found.error();
      return false;
    }
    return (*found)[0] && (*found)[0]->state == ClaimState::live;
  };
  BlockVisitor visit{[&](const BlockId& id) {
                       if (live(id)) return false;
                       ids.push_back(id);
                       return true;
                     },
                     [&](const BlockId& id) { ids.push_back(id); }};
  PS_TRY(visit_version(volume, head, visit));
  PS_TRY(looked);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.empty()) return {};  // all claimed: no need to wait behind the worker's queue
  auto p = std::make_shared<std::promise<Status>>();
  claim(v, std::move(ids), [p](Status st) { p->set_value(std::move(st)); });
  return p->get_future().get();
}

}  // namespace peerstore::host
