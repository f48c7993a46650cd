#include "fs/volume.h"

#include <chrono>

#include "common/log.h"
#include "common/wall_clock.h"
#include "fs/head_history.h"
#include "fs/ptr_codec.h"

namespace peerstore {
namespace {

// The later time wins, then the larger hash: the order every computer agrees on.
bool later(const Head& a, const Head& b) {
  return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : b.hash() < a.hash();
}

}  // namespace

std::string device_name(const PublicKey& device) {
  return device.hex().substr(0, 8);
}

Volume::Volume(LocalStore& store, VolumeKeys keys, const PublicKey& device, BlockSuite suite)
    : store_(store),
      keys_(std::move(keys)),
      device_(device),
      io_(store, keys_.convergence, suite) {}

Result<std::unique_ptr<Volume>> Volume::open(LocalStore& store, VolumeKeys keys,
                                             const PublicKey& device, BlockSuite suite) {
  std::unique_ptr<Volume> v(new Volume(store, std::move(keys), device, suite));
  PS_ASSIGN(auto raw, store.heads(v->keys_.id()));
  PS_ASSIGN(auto heads, v->fetch_heads());
  for (auto& h : heads)
    if (!v->head_ || later(h, *v->head_)) v->head_ = h;
  if (!v->head_) {
    if (!raw.empty())
      return fail(Errc::corrupt, "no valid head for volume " + v->keys_.id().short_hex());
    return v;
  }
  PS_ASSIGN(v->table_root_, v->table_of(*v->head_));
  return v;
}

Result<std::vector<Head>> Volume::fetch_heads() {
  PS_ASSIGN(auto encoded, store_.heads(keys_.id()));
  std::vector<Head> out;
  for (auto& e : encoded) {
    auto h = Head::decode(e);
    if (!h || h->volume != keys_.id() || !h->verify()) {
      if (!warned_bad_head_.exchange(true))
        log::warn("ignoring a head of volume " + keys_.id().short_hex() + " that does not verify");
      continue;
    }
    out.push_back(std::move(*h));
  }
  return out;
}

Result<Head> Volume::load_head(const Id256& hash) {
  PS_ASSIGN(Bytes bytes, io_.read_raw(hash));
  auto h = Head::decode(bytes);
  if (!h || h->volume != keys_.id() || !h->verify() || h->hash() != hash)
    return fail(Errc::corrupt, "head " + hash.short_hex() + " of volume " + keys_.id().short_hex() +
                                   " does not verify");
  return std::move(*h);
}

Result<std::optional<BlockPtr>> Volume::table_of(const Head& h) {
  PS_ASSIGN(BlockPtr root, h.open_root(keys_.read_key));
  PS_ASSIGN(Bytes plain, io_.read(root));
  const mp::Limits lim{
      .array = 3, .map = 0, .str = 0, .bin = BlockPtr::kMaxEncodedSize, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(plain, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 3, 3));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1) return fail(Errc::corrupt, "root block of unknown version");
  return get_ptr(a[1]);
}

Bytes Volume::root_block(const std::optional<BlockPtr>& table_root, int64_t created_ns) const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(3);
  pk.pack(uint32_t(1));
  pack_ptr(pk, table_root);
  pk.pack(created_ns);
  return mp::to_bytes(buf);
}

Status Volume::write_head(Head h, const std::optional<BlockPtr>& table_root) {
  Bytes encoded = h.encode();
  io_.write_raw(h.hash(), encoded);
  PS_TRY(io_.commit(keys_.id(), {encoded}));
  head_ = std::move(h);
  table_root_ = table_root;
  ++commits_;
  return {};
}

Status Volume::commit(const std::optional<BlockPtr>& table_root) {
  if (!keys_.writable()) return fail(Errc::permission, "a read-only volume");
  int64_t t = wall_clock_ns();
  if (head_ && t <= head_->time_ns) t = head_->time_ns + 1;  // keep heads ordered by time
  PS_ASSIGN(BlockPtr root, io_.write(root_block(table_root, t)));
  std::vector<std::pair<Id256, uint64_t>> clock;
  std::vector<Id256> parents;
  if (head_) {
    clock = head_->clock;
    parents.push_back(head_->hash());
  }
  bool found = false;
  for (auto& [dev, n] : clock)
    if (dev == device_) {
      ++n;
      found = true;
    }
  if (!found) clock.emplace_back(device_, 1);
  return write_head(Head::make(keys_, root, std::move(clock), std::move(parents), device_, t),
                    table_root);
}

namespace {

// "HASH {DEV:N DEV:N}": a head and its vector, for a refusal's message (6 hex digits each).
std::string describe(const Head& h) {
  std::string out = h.hash().short_hex() + " {";
  for (size_t i = 0; i < h.clock.size(); ++i)
    out += (i ? " " : "") + h.clock[i].first.hex().substr(0, 6) + ":" +
           std::to_string(h.clock[i].second);
  return out + "}";
}

}  // namespace

Status Volume::adopt(const Head& h) {
  if (head_) {
    // Its vector says it descends from ours; its parents must say so too, or a writer could
    // hide this computer's commits behind an inflated vector.
    auto loader = [this](const Id256& id) { return load_head(id); };
    PS_ASSIGN(auto base, merge_base(h, *head_, loader));
    bool descends = base && base->hash() == head_->hash();
    // Or it descends from a twin of ours (head_history.h): a merge of the same commits as ours,
    // made in another order on another computer. It holds everything ours does.
    if (!descends && base && compare_clocks(*base, *head_) == ClockOrder::equal) {
      PS_ASSIGN(descends, same_history(*base, *head_, loader));
    }
    // Or its history holds every commit ours holds, arranged by other merges.
    if (!descends) {
      PS_ASSIGN(descends, holds_history(h, *head_, loader));
    }
    // What the message names (both vectors and the base found) tells a writer gone wrong from a
    // bug in how this computer walks the history.
    if (!descends)
      return fail(Errc::corrupt, "head " + describe(h) + " of volume " + keys_.id().short_hex() +
                                     " claims to descend from this computer's head " +
                                     describe(*head_) + " but does not (their merge base: " +
                                     (base ? describe(*base) : "none") + ")");
  }
  PS_ASSIGN(auto table, table_of(h));
  PS_TRY(io_.commit(keys_.id(), {h.encode()}));
  head_ = h;
  table_root_ = table;
  return {};
}

Result<std::vector<MergeConflict>> Volume::merge(const Head& other) {
  if (!head_) {
    PS_TRY(adopt(other));
    return std::vector<MergeConflict>();
  }
  // A reader cannot sign a merge: it waits for a writer's head that descends from both.
  if (!keys_.writable()) return fail(Errc::permission, "a read-only volume");
  const Head ours = *head_;
  PS_ASSIGN(auto base, merge_base(ours, other, [this](const Id256& id) { return load_head(id); }));
  std::optional<BlockPtr> base_table;
  if (base) {
    PS_ASSIGN(base_table, table_of(*base));
  }
  PS_ASSIGN(auto other_table, table_of(other));
  MergeSide a{table_root_, ours.hash(), ours.time_ns, device_name(ours.device)};
  MergeSide b{other_table, other.hash(), other.time_ns, device_name(other.device)};
  PS_ASSIGN(MergeOutcome m, merge_trees(io_, base_table, a, b));

  // The merge head is a function of the two heads: its clock is their maximum, its time and
  // device the winner's, its nonce derived, so two computers merging the same pair write the
  // same head and the network's head set collapses to it.
  const Head& winner = later(ours, other) ? ours : other;
  std::vector<std::pair<Id256, uint64_t>> clock = ours.clock;
  for (const auto& theirs : other.clock) {
    auto it =
        std::find_if(clock.begin(), clock.end(), [&](auto& e) { return e.first == theirs.first; });
    if (it == clock.end())
      clock.push_back(theirs);
    else
      it->second = std::max(it->second, theirs.second);
  }
  std::vector<Id256> parents{ours.hash(), other.hash()};
  std::sort(parents.begin(), parents.end());
  PS_ASSIGN(BlockPtr root, io_.write(root_block(m.table, winner.time_ns)));
  Head h = Head::make(keys_, root, clock, parents, winner.device, winner.time_ns, true);
  // Two heads with one clock (a merge that lost a race to another merge of the same clocks)
  // would never dominate each other: such a merge counts as this device's own commit.
  auto eq = [&](const Head& x) { return compare_clocks(h, x) == ClockOrder::equal; };
  if (eq(ours) || eq(other)) {
    for (auto& [dev, n] : clock)
      if (dev == device_) ++n;
    if (std::none_of(clock.begin(), clock.end(), [&](auto& e) { return e.first == device_; }))
      clock.emplace_back(device_, 1);
    int64_t t = std::max(wall_clock_ns(), winner.time_ns + 1);
    PS_ASSIGN(root, io_.write(root_block(m.table, t)));
    h = Head::make(keys_, root, clock, parents, device_, t);
  }
  PS_TRY(write_head(std::move(h), m.table));
  return std::move(m.conflicts);
}

}  // namespace peerstore
