// ShareControl: revoke (docs/sharing.md, Revoke). The shared volume rotates to new keys: its
// current tree is written anew into a new volume (epoch + 1, same lineage), the owner's link
// moves to it, the remaining members get grants of the new epoch in the same slots (their
// receivers replace their links), and the revoked user gets a withdrawal. A RevokeJournal on
// the home root says how far it got, so a revoke killed midway rolls back or finishes.
#include <sodium.h>

#include <chrono>

#include "common/log.h"
#include "fs/exposure.h"
#include "fs/tree_copy.h"
#include "fs/version_view.h"
#include "host/share_control.h"
#include "keys/user_id.h"

namespace peerstore::host {
namespace {

constexpr uint64_t kRoot = NodeTable::kRootIno;

std::string journal_name(const VolumeId& old) {
  return std::string(RevokeJournal::kPrefix) + old.hex();
}

std::string when(int64_t ns) {
  time_t secs = time_t(ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

ShareControl::~ShareControl() {
  stop();
}

void ShareControl::start(MountTree& tree) {
  runner_ = std::thread([this, &tree] {
    std::unique_lock lock(run_mu_);
    while (!stopping_) {
      lock.unlock();
      size_t left;
      {
        std::lock_guard one(mu_);
        std::vector<PublicKey> done;
        (void)finish_pending(tree, &done);
        std::map<std::string, Bytes> journals;
        (void)tree.home().hidden(kRoot, RevokeJournal::kPrefix, &journals);
        left = 0;
        for (auto& [name, bytes] : journals)
          if (auto j = RevokeJournal::decode(bytes); j && j->device == device_) ++left;
      }
      lock.lock();
      if (left == 0) break;
      run_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return stopping_; });
    }
  });
}

void ShareControl::stop() {
  {
    std::lock_guard lock(run_mu_);
    stopping_ = true;
  }
  run_cv_.notify_all();
  if (runner_.joinable()) runner_.join();
}

void ShareControl::set_journal(FileSystem& home, const VolumeId& old, const RevokeJournal& j) {
  (void)home.set_hidden(kRoot, journal_name(old), j.encode());
  (void)home.commit();
}

int ShareControl::revoke(MountTree& tree, uint64_t kino, const PublicKey& revoked) {
  FileSystem& home = tree.home();
  // A revoke this computer left unfinished goes first (running the command again after
  // EAGAIN finishes it).
  std::vector<PublicKey> done;
  (void)finish_pending(tree, &done);
  MountTree::Where w;
  if (int e = tree.where(kino, &w)) return e;
  if (!w.linked_root || !w.home_link || !w.link) return EINVAL;
  auto content = GrantContent::decode(ByteView(w.link->data(), w.link->size()));
  if (!content) return EIO;
  if (!content->writable()) return EACCES;
  std::string record = std::string(kGrantRecord) + content->volume.hex() + "." + revoked.hex();
  std::map<std::string, Bytes> records;
  if (int e = home.hidden(kRoot, record, &records)) return e;
  if (!records.count(record))
    return std::find(done.begin(), done.end(), revoked) != done.end() ? 0 : ENOENT;

  RevokeJournal j;
  j.stage = RevokeJournal::copy;
  j.device = device_;
  j.revoked = revoked;
  j.old_link = kino;
  randombytes_buf(j.nonce.b.data(), j.nonce.b.size());
  set_journal(home, content->volume, j);
  return carry_on(tree, content->volume, j, true);
}

int ShareControl::carry_on(MountTree& tree, const VolumeId& old, RevokeJournal j, bool fresh) {
  FileSystem& home = tree.home();
  auto roll_back = [&](int e, const std::string& why) {
    log::warn("revoke: " + why + "; nothing changed, the folder keeps its keys");
    (void)home.remove_hidden(kRoot, journal_name(old));
    (void)home.commit();
    return e;
  };
  std::shared_ptr<const Secret> moved;
  bool relinked = home.link_of(j.new_link(), &moved) == 0;
  if (j.stage != RevokeJournal::grants && !relinked) {
    if (!fresh)
      return roll_back(EINTR, "a revoke of " + UserId::short_form(j.revoked) +
                                  " was interrupted before it took effect: run it again");
    // Stage 1: nothing below the folder changes from here until its link has moved.
    MountTree::Where w;
    if (int e = tree.where(j.old_link, &w)) return roll_back(e, "the folder is gone");
    if (!w.linked_root || !w.link) return roll_back(EINVAL, "the folder is no shared folder");
    std::unique_lock<std::shared_mutex> held;
    if (int e = tree.hold_changes(old, &held))
      return roll_back(e, "a file in the folder is open for writing");
    auto was = GrantContent::decode(ByteView(w.link->data(), w.link->size()));
    if (!was || was->volume != old) return roll_back(EIO, "the folder's link cannot be read");
    if (int e = w.fs->commit()) return roll_back(e, "the folder's last changes cannot be saved");
    // The version just committed, read where live sync cannot change it under the copy.
    VolumeKeys old_keys =
        VolumeKeys::read_only(old, was->read_key.clone(), was->convergence.clone());
    auto current = Volume::open(store_, reader_keys(old_keys), device_);
    if (!current || !(*current)->head())
      return roll_back(EIO, "the folder's current version cannot be read");
    Head copied_from = *(*current)->head();
    auto from = open_version(store_, old_keys, device_, copied_from);
    if (!from) return roll_back(EIO, "the folder cannot be read: " + from.error().message());
    GrantContent next = fresh_volume(was->folder, &was->lineage, was->epoch + 1);
    auto into = open_volume(next);
    if (!into) return roll_back(EIO, "cannot make the new volume: " + into.error().message());
    auto copied = copy_tree(**from, **into);
    if (!copied) return roll_back(EIO, copied.error().message());
    Id256 hash = copied_from.hash();
    (void)(*into)->set_hidden(kRoot, std::string(RevokeJournal::kCopiedFrom),
                              Bytes(hash.b.begin(), hash.b.end()));
    {
      auto previous = GrantContent::decode(ByteView(w.link->data(), w.link->size()));
      if (!previous) return roll_back(EIO, "the folder's link cannot be read");
      previous->signing_seed.reset();
      Bytes b = previous->encode();
      (void)(*into)->set_hidden(kRoot, std::string(RevokeJournal::kPrevious), b);
      sodium_memzero(b.data(), b.size());
    }
    if (int e = (*into)->commit()) return roll_back(e, "cannot save the new volume");
    into->reset();
    std::string path;
    if (home.path_of_dir(j.old_link, &path) != 0) path = "/" + was->folder;
    report_ = report_text(*was, path, j.revoked);
    j.stage = RevokeJournal::relink;
    set_journal(home, old, j);
    // Stage 2: the link moves. Until it has, a failure leaves everything as it was.
    if (int e = home.relink(j.old_link, link_bytes(next), j.new_link()))
      return roll_back(e, "the folder's link cannot be moved to its new keys");
    tree.retire(old, held.owns_lock());
    held.unlock();
    log::info("revoke: " + path + " has new keys (" + std::to_string(copied->files) + " files, " +
              std::to_string(copied->bytes) + " bytes written again)");
    j.stage = RevokeJournal::grants;
    set_journal(home, old, j);
  } else if (j.stage != RevokeJournal::grants) {
    j.stage = RevokeJournal::grants;
    set_journal(home, old, j);
  }
  if (j.device != device_) return 0;  // another computer of the user carries it on

  // Stage 3: the grants of the new epoch, from the new link; each step may run again.
  if (home.link_of(j.new_link(), &moved) != 0) return EIO;
  auto next = GrantContent::decode(ByteView(moved->data(), moved->size()));
  if (!next) return EIO;
  std::string prefix = std::string(kGrantRecord) + old.hex() + ".";
  std::map<std::string, Bytes> records;
  if (int e = home.hidden(kRoot, prefix, &records)) return e;
  for (auto& [name, value] : records) {
    auto hex = from_hex(std::string_view(name).substr(prefix.size()));
    auto member = hex ? Id256::from(*hex) : Result<Id256>(fail(Errc::corrupt, "bad record"));
    if (!member || value.size() != 17) {
      (void)home.remove_hidden(kRoot, name);
      continue;
    }
    bool keeps = *member != j.revoked;
    std::optional<Grant> g;
    if (keeps) {
      auto copy = GrantContent::decode(ByteView(moved->data(), moved->size()));
      if (!copy) return EIO;
      GrantContent& c = *copy;
      c.recipient = *member;
      c.time_ns = now_ns();
      if (value[0] == 0) c.signing_seed.reset();
      auto made = Grant::make(user_, c);
      if (!made) return EIO;
      g = std::move(*made);
    } else {
      g = Grant::withdraw(user_, *member, next->lineage, next->epoch, now_ns());
    }
    if (Status st = post_(*g); !st) {
      log::warn("revoke: the folder has new keys, but " + UserId::short_form(*member) + "'s " +
                (keeps ? "new grant" : "withdrawal") +
                " did not reach the network: " + st.error().message() + "; sent again in 10 s");
      return EAGAIN;
    }
    if (keeps) {
      Bytes moved_record = value;
      put_u64be(moved_record.data() + 9, j.new_link());
      (void)home.set_hidden(kRoot,
                            std::string(kGrantRecord) + next->volume.hex() + "." + member->hex(),
                            moved_record);
    }
    (void)home.remove_hidden(kRoot, name);
  }
  (void)home.remove_hidden(kRoot, journal_name(old));
  (void)home.commit();
  log::info("revoke: " + UserId::short_form(j.revoked) + " no longer has " + next->folder +
            "; the other members have its new keys");
  return 0;
}

int ShareControl::finish_pending(MountTree& tree, std::vector<PublicKey>* done) {
  std::map<std::string, Bytes> journals;
  if (int e = tree.home().hidden(kRoot, RevokeJournal::kPrefix, &journals)) return e;
  int first = 0;
  for (auto& [name, bytes] : journals) {
    auto j = RevokeJournal::decode(bytes);
    auto hex = from_hex(std::string_view(name).substr(RevokeJournal::kPrefix.size()));
    auto old = hex ? Id256::from(*hex) : Result<Id256>(fail(Errc::corrupt, "bad name"));
    if (!j || !old) {
      log::warn("revoke: an unreadable revoke record is dropped");
      (void)tree.home().remove_hidden(kRoot, name);
      continue;
    }
    if (j->device != device_) continue;
    int e = carry_on(tree, *old, *j, false);
    if (e == 0) done->push_back(j->revoked);
    if (e && !first) first = e;
  }
  return first;
}

std::string ShareControl::report_text(const GrantContent& old, const std::string& where,
                                      const PublicKey& revoked) {
  std::string who = UserId::short_form(revoked);
  auto keys = old.writer_keys();
  auto seen = keys ? exposure(store_, *keys, device_) : Result<Exposure>(keys.error());
  std::string text = "What " + who + " could read of " + where + " until now";
  if (!seen) return text + ": unknown (" + seen.error().message() + ")\n";
  text += " (" + std::to_string(seen->files.size()) + " file versions in " +
          std::to_string(seen->versions) + " versions of the folder):\n";
  for (auto& f : seen->files)
    text += "  " + where + f.path + "  " + std::to_string(f.size) + " bytes  modified " +
            when(f.mtime_ns) + "\n";
  for (auto& p : seen->problems) text += "  (not all could be read: " + p + ")\n";
  text += "What " + who +
          " already downloaded cannot be taken back. What changes from now on is "
          "encrypted under new keys they do not have.\n";
  return text;
}

}  // namespace peerstore::host
