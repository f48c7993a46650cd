#include "host/epoch_switch.h"

#include "common/log.h"
#include "fs/head_history.h"
#include "fs/version_view.h"
#include "keys/revoke_journal.h"

namespace peerstore::host {
namespace {

VolumeKeys keys_of(const GrantContent& g) {
  return VolumeKeys::read_only(g.volume, g.read_key.clone(), g.convergence.clone());
}

// The version of the old volume that `next` was copied from (its root's hidden attribute).
Result<Id256> copied_from(LocalStore& store, const GrantContent& next, const PublicKey& device) {
  PS_ASSIGN(auto volume, Volume::open(store, keys_of(next), device));
  PS_ASSIGN(auto tips, volume->fetch_heads());
  if (tips.empty()) return fail(Errc::not_found, "the new epoch has no version yet");
  PS_ASSIGN(auto fs, open_version(store, keys_of(next), device, tips.front()));
  std::map<std::string, Bytes> attr;
  std::string name(RevokeJournal::kCopiedFrom);
  if (int e = fs->hidden(NodeTable::kRootIno, name, &attr); e != 0 || !attr.count(name))
    return fail(Errc::not_found, "the new epoch does not say what it was copied from");
  return Id256::from(attr[name]);
}

}  // namespace

bool EpochSwitch::unsaved(const GrantContent& old, const GrantContent& next) {
  if (MountTree* t = tree_.load()) t->retire(old.volume);
  auto check = [&]() -> Result<bool> {
    PS_ASSIGN(Id256 base, copied_from(store_, next, device_));
    PS_ASSIGN(auto volume, Volume::open(store_, keys_of(old), device_));
    PS_ASSIGN(auto tips, volume->fetch_heads());
    if (volume->head()) tips.push_back(*volume->head());  // this computer's, pushed or not
    auto load = [&](const Id256& id) { return volume->load_head(id); };
    PS_ASSIGN(Head copied, volume->load_head(base));
    History kept = walk_history({copied}, load);
    History all = walk_history(tips, load);
    for (auto& [id, h] : all.heads)
      if (h.device == device_ && !kept.heads.count(id)) return true;
    return all.cut && !kept.cut;  // a history too long to tell: keep it in view
  };
  auto r = check();
  if (!r) {
    log::warn("shares: cannot tell whether " + old.folder +
              " holds changes of this computer that its new keys lack (" + r.error().message() +
              "): the old version stays in view");
    return true;
  }
  return *r;
}

}  // namespace peerstore::host
