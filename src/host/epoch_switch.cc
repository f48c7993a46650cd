#include "host/epoch_switch.h"

#include <sodium.h>

#include "common/log.h"
#include "fs/head_history.h"
#include "fs/version_view.h"
#include "keys/revoke_journal.h"

namespace peerstore::host {
namespace {

VolumeKeys keys_of(const GrantContent& g) {
  return VolumeKeys::read_only(g.volume, g.read_key.clone(), g.convergence.clone());
}

struct Previous {
  GrantContent old;
  Id256 copied;
};

// What the new epoch's root says of the old one.
Result<Previous> previous_of(LocalStore& store, const GrantContent& next, const PublicKey& device) {
  PS_ASSIGN(auto volume, Volume::open(store, keys_of(next), device));
  PS_ASSIGN(auto tips, volume->fetch_heads());
  if (tips.empty()) return fail(Errc::not_found, "the new epoch has no version yet");
  PS_ASSIGN(auto fs, open_version(store, keys_of(next), device, tips.front()));
  std::map<std::string, Bytes> attrs;
  if (int e = fs->hidden(NodeTable::kRootIno, "peerstore.", &attrs))
    return fail(errc_of_errno(e), "cannot read the new epoch's root");
  auto old = attrs.find(std::string(RevokeJournal::kPrevious));
  auto copied = attrs.find(std::string(RevokeJournal::kCopiedFrom));
  if (old == attrs.end() || copied == attrs.end())
    return fail(Errc::not_found, "the new epoch does not say what it was copied from");
  PS_ASSIGN(GrantContent content, GrantContent::decode(old->second));
  sodium_memzero(old->second.data(), old->second.size());
  PS_ASSIGN(Id256 hash, Id256::from(copied->second));
  if (content.lineage != next.lineage || content.epoch >= next.epoch)
    return fail(Errc::corrupt, "the new epoch names an old volume of another folder");
  return Previous{std::move(content), hash};
}

}  // namespace

std::optional<GrantContent> EpochSwitch::unsaved(const GrantContent& next) {
  auto check = [&]() -> Result<std::optional<GrantContent>> {
    PS_ASSIGN(Previous p, previous_of(store_, next, device_));
    PS_ASSIGN(auto volume, Volume::open(store_, keys_of(p.old), device_));
    // Everything this computer wrote descends to its own head of the volume.
    if (!volume->head()) return std::optional<GrantContent>();
    if (volume->head()->hash() == p.copied) return std::optional<GrantContent>();
    auto load = [&](const Id256& id) { return volume->load_head(id); };
    PS_ASSIGN(Head copied, volume->load_head(p.copied));
    History kept = walk_history({copied}, load);
    History mine = walk_history({*volume->head()}, load);
    bool lost = mine.cut && !kept.cut;  // a history too long to tell: keep it in view
    for (auto& [id, h] : mine.heads)
      if (h.device == device_ && !kept.heads.count(id)) lost = true;
    if (!lost) return std::optional<GrantContent>();
    return std::optional<GrantContent>(std::move(p.old));
  };
  auto r = check();
  if (!r) {
    log::warn("shares: cannot tell whether " + next.folder +
              " lacks changes this computer made before its keys changed: " + r.error().message());
    return std::nullopt;
  }
  return std::move(*r);
}

}  // namespace peerstore::host
