// ShareReceiver: how shares given to this user appear in every mount of theirs (docs/sharing.md,
// Receiving). It watches the user's inbox on the ring (a notice wakes it; it also reads every
// 5 s), merges each read into ReceivedShares (which verifies, opens and orders the grants),
// and keeps the home tree's /shared/OWNER/FOLDER links in step: a link for each share (its
// volume's keys as the grant gave them), replaced when a newer grant changes the volume, gone
// with a withdrawal. Each link's record carries its slot and its grant's order in hidden
// attributes, so a restarted mount knows what it placed and never takes an older grant again.
// A link the user removes (peerstore-share leave, or rmdir) is a share left: recorded on the
// home root, it is not shown again on any of their computers. A withdrawal is recorded there too
// (its order), so no older grant of that slot shows again after a restart.
// OWNER is the name the user gave the grantor (peerstore-share name), else the short form of
// their user id; a name given later moves the links. Thread-safe; its thread runs from start()
// until stop() or destruction.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "dht/dht_client.h"
#include "fs/file_system.h"
#include "keys/received_shares.h"

namespace peerstore::host {

class ShareReceiver {
 public:
  static constexpr std::string_view kSharedDir = "shared";
  // A share the user left: a hidden attribute of the home root named this and the hex of the
  // grantor and slot (so every computer of the user knows, and a restart too).
  static constexpr std::string_view kLeftAttr = "peerstore.left.";
  // The hidden attributes of a received share's link record (never shown: the mount shows the
  // linked volume's root in the link's place): grantor(32) || slot(32), and the grant's order
  // epoch(8) || time(8) || hash(32).
  // A name the user gave another user (peerstore-share name): a hidden attribute of the home
  // root named this and the hex of their key; its value is the name, shown as OWNER.
  static constexpr std::string_view kNameAttr = "peerstore.name.";
  static constexpr std::string_view kSlotAttr = "peerstore.slot";
  static constexpr std::string_view kOrderAttr = "peerstore.order";

  // A withdrawn share: a hidden attribute of the home root named this and the hex of the
  // grantor and slot, its value the withdrawal's order (as kOrderAttr), so a restart knows that
  // no grant older than it is to be taken again (a storage node replaying one).
  static constexpr std::string_view kWithdrawnAttr = "peerstore.withdrawn.";

  // The user's inbox: `read` answers one read of it (waiting for the ring: at most 10 s);
  // `watch` calls its argument whenever the ring tells of a change (on any thread, quickly).
  struct Inbox {
    std::function<Result<std::vector<Bytes>>()> read;
    std::function<void(std::function<void()>)> watch;
  };
  // The inbox of `user` on the ring (`dht` must outlive what it returns).
  static Inbox inbox_of(DhtClient& dht, const PublicKey& user);

  // `home` must outlive it.
  ShareReceiver(Inbox inbox, FileSystem& home, const SigningKey& user, Caller owner);
  ~ShareReceiver();  // stop()

  // Reads what earlier runs placed, then watches and reads the inbox on a thread of its own.
  void start();
  void stop();
  // One read of the inbox and what follows from it (tests; the thread calls it).
  Status round();
  // Asks for a round soon (a name was given; a share was left).
  void wake();

 private:
  void loop();
  Status apply(const ReceivedShares::Change& c);
  std::vector<std::string> path_for(const GrantContent& g) const;

  Inbox inbox_;
  FileSystem& home_;
  SigningKey user_;
  Caller owner_;
  ReceivedShares shares_;
  std::map<ReceivedShares::SlotKey, std::vector<std::string>> placed_;  // where each link is
  std::set<ReceivedShares::SlotKey> left_;  // shares the user left: never shown again
  std::mutex mu_;  // guards the wake-up state; round() runs on one thread at a time
  std::condition_variable wake_;
  bool woken_ = false, stop_ = false;
  std::shared_ptr<std::function<void()>> waker_;
  std::thread thread_;
};

}  // namespace peerstore::host
