#include "host/client_session.h"

#include <unistd.h>

#include <cstring>

#include "common/dirs.h"
#include "common/file_io.h"
#include "common/process_signals.h"
#include "host/admission.h"
#include "host/node_address.h"
#include "keys/identity.h"
#include "keys/passphrase.h"
#include "keys/volume_keys.h"

namespace peerstore::host {

Result<std::unique_ptr<ClientSession>> ClientSession::open(const ClientOptions& o) {
  ignore_sigpipe();
  const DataDirLayout& layout = o.layout;
  DataDirLayout mine = layout.client();
  std::unique_ptr<ClientSession> s(new ClientSession());
  s->data_ = layout.data();
  std::string node = o.node;
  if (node.empty()) {
    PS_ASSIGN(node, read_node_address(layout));
  }
  PS_ASSIGN(Secret secret, member_secret(layout, "give --data DIR of a member of the network"));
  std::string user_key = layout.user_key();
  if (auto present = read_whole_file(user_key, 1 << 20);
      !present && present.code() == Errc::not_found)
    return fail(Errc::not_found, "no user key at " + user_key +
                                     "; mount PeerStore once to create your identity, or give "
                                     "--config DIR");
  PS_TRY(make_dirs(mine.data()));
  PS_ASSIGN(auto lock, DataDirLock::acquire(mine.data()));
  s->lock_.emplace(std::move(lock));
  PS_ASSIGN(Identity id, Identity::load_or_create(layout.config(), mine.data(),
                                                  passphrase_for_key("user", user_key)));
  PS_ASSIGN(s->store_, LmdbStore::open(mine.store()));
  RelayStoreOptions ro;
  ro.node = node;
  ro.credentials = make_credentials(SigningKey::from_seed(id.device.seed()), std::move(secret));
  ro.timeout_ms = o.timeout_ms;
  ro.cache = s->store_.get();
  PS_ASSIGN(s->relay_, RelayStore::start(std::move(ro)));
  // Its home tree's new blocks are claimed for this writer before its heads go up, as a
  // mount's are.
  PS_ASSIGN(s->claims_table_, s->store_->table(DataDirLayout::kClaimsDb));
  s->claim_sink_ = std::make_unique<DhtClaimSink>(
      [relay = s->relay_.get()](const BlockId& block, std::vector<Bytes> records,
                                std::function<void(Status)> done) {
        relay->put_records(KeyKind::claims, block, std::move(records), std::move(done));
      });
  s->claims_ =
      std::make_unique<MountClaims>(*s->claims_table_, *s->claim_sink_, id.device.public_key());
  PS_TRY(s->claims_->add_volume(VolumeKeys::derive_home(id.user)));
  TieredStoreOptions topt;
  topt.cache_bytes = uint64_t(1) << 30;
  topt.upload.claim = s->claims_->upload_hook();
  s->tiered_ = std::make_unique<TieredStore>(*s->store_, *s->relay_, topt);
  // The last command ended before its uploads did (killed, or the ring was lost): DATA/client
  // is no replica, so its blocks go up again (a put of a block the ring has costs bytes only).
  if (o.writes) {
    s->unsynced_ = mine.unsynced();
    if (::access(s->unsynced_.c_str(), F_OK) == 0) PS_TRY(s->tiered_->upload_all());
    PS_TRY(write_file_durably(s->unsynced_, {}, Placement::replace));
  }
  s->home_keys_.emplace(VolumeKeys::derive_home(id.user));
  s->device_ = id.device.public_key();
  auto volume = Volume::open(*s->tiered_, VolumeKeys::derive_home(id.user), s->device_);
  if (!volume) {
    if (volume.code() == Errc::unavailable) return volume.error();
    return fail(volume.code(),
                "cannot open your tree through " + node + ": " + volume.error().message());
  }
  FileSystem::Options fo;
  fo.statfs_path = mine.data();
  PS_ASSIGN(s->fs_, FileSystem::open(std::move(*volume), fo, Caller{::getuid(), ::getgid()}));
  // What the other computers committed last: the tree this command starts from.
  if (int e = s->fs_->sync(); e != 0)
    return fail(Errc::unavailable, "cannot read your tree from the ring through " + node + " (" +
                                       std::strerror(e) + "); is the node a member?");
  s->fs_->start_committer();
  return s;
}

Result<std::unique_ptr<Volume>> ClientSession::history_view() {
  const VolumeKeys& k = *home_keys_;
  return Volume::open(*tiered_,
                      VolumeKeys{SigningKey::from_seed(k.signer->seed()), k.read_key.clone(),
                                 k.convergence.clone()},
                      device_);
}

Result<std::unique_ptr<FileSystem>> ClientSession::version_view(const Head& head) {
  PS_ASSIGN(auto volume, history_view());
  PS_ASSIGN(auto table, volume->table_of(head));
  volume->rewind(head, table);
  FileSystem::Options fo;
  fo.statfs_path = data_;
  return FileSystem::open(std::move(volume), fo, Caller{::getuid(), ::getgid()});
}

ClientSession::~ClientSession() {
  fs_.reset();  // a last commit, into DATA/client
  tiered_.reset();
}

Status ClientSession::finish(std::chrono::milliseconds timeout) {
  if (int e = fs_->commit(); e != 0)
    return fail(Errc::io, std::string("cannot commit the changes: ") + std::strerror(e));
  // Merges a head another computer pushed meanwhile, so the ring holds one tree with both.
  if (int e = fs_->sync(); e != 0)
    return fail(Errc::unavailable, std::string("cannot merge with the other computers' changes: ") +
                                       std::strerror(e) + "; they stay in " + data_ + "/client");
  Status up = tiered_->flush(timeout);
  if (!up)
    return fail(up.code(), "not everything reached the network through " + node() + ": " +
                               up.error().message() + "; it stays in " + data_ +
                               "/client and goes up with the next peerstore command");
  if (!unsynced_.empty()) ::unlink(unsynced_.c_str());
  return {};
}

}  // namespace peerstore::host
