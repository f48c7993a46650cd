// ReplicaStore: what one DHT node holds for the ring (verified blocks and record sets: head
// sets, inboxes and the claims on blocks, dht/record_kind.h) and the sorted index of its keys that
// repair summarizes and lists. Loop thread only: it reads its LocalStore directly and writes
// through a DiskQueue, never waiting for the disk.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "dht/disk_queue.h"
#include "dht/message.h"
#include "dht/record_kind.h"
#include "store/local_store.h"

namespace peerstore {

// A block is accepted only if BLAKE2b(bytes) equals its id, a record only if it verifies; a
// volume keeps the heads no other head dominates, an inbox the grants InboxSet keeps, a block's
// claims what ClaimSet keeps.
//
// Records live in the LocalStore's heads table: a head set under its volume's key, as before
// inboxes existed; an inbox under its DHT key (a hash, which no volume key can equal), a block's
// claims under a hash of "claims" and the block id; each list but a head set's led by a marker
// item: the kind byte followed by the owner's key. Copies a node no longer owns stay (Carbonite
// keeps copies that come back); only BlockRelease deletes, through forget_blocks and
// forget_records.
//
// An accepted key is indexed and served from memory at once and reaches the disk in group
// commits: one batch being written, the next accumulating. Its `done` runs once the batch holding
// it has committed; a batch that fails un-indexes its keys and answers its writers with the error.
// Reads of committed keys are synchronous LocalStore reads: LMDB serves them from its memory map,
// with no lock against the writer and no fsync. Answers still pending when the store is destroyed
// are dropped without running.
class ReplicaStore {
 public:
  using Done = std::function<void(Status)>;
  // A batch is handed to the disk before this size even while another one is being written.
  static constexpr size_t kBatchBytes = 8 << 20;

  // Indexes the blocks and head sets already in `store`. Both must outlive the ReplicaStore.
  ReplicaStore(LocalStore& store, DiskQueue& disk);
  ReplicaStore(const ReplicaStore&) = delete;
  ReplicaStore& operator=(const ReplicaStore&) = delete;

  // Errc::too_big or Errc::corrupt (bytes that do not hash to `id`) without storing anything;
  // otherwise done({}) once the block is on disk (a block stored before: at once).
  void put_block(const Id256& id, Bytes bytes, Done done);
  // Holds a block the hosting process wrote to the shared store itself: indexes it, reading and
  // hashing nothing. With `size` 0 the store is asked for its size (a lookup through its map)
  // and a block it lacks is Errc::not_found; a caller that knows the store holds the block
  // says its size. Errc::unavailable while it is being dropped (forget_blocks).
  void adopt_stored_block(const Id256& id, size_t size, Done done);
  Result<Bytes> get_block(const Id256& id);
  // Merges the records that verify into the owner's set of `kind`; Errc::corrupt if none of
  // them does (the valid ones are kept either way). `done` gets whether the set changed, once it
  // is on disk.
  void put_records(KeyKind kind, const Id256& owner, const std::vector<Bytes>& records,
                   std::function<void(Result<bool>)> done);
  // The owner's records of `kind`, sorted by hash; empty if none.
  Result<std::vector<Bytes>> get_records(KeyKind kind, const Id256& owner) const;
  void put_heads(const VolumeId& volume, const std::vector<Bytes>& heads,
                 std::function<void(Result<bool>)> done) {
    put_records(KeyKind::heads, volume, heads, std::move(done));
  }
  Result<std::vector<Bytes>> get_heads(const VolumeId& volume) {
    return get_records(KeyKind::heads, volume);
  }
  // Runs `done` once every write accepted so far has committed or failed.
  void drain(std::function<void()> done);
  // Deletes the committed local copies of `ids` (a bounded cache gives them up; the caller has
  // checked that the node need not keep them): un-indexed now, erased in the next batch. Blocks
  // still being written stay. The erase skips each block another writer of the store wrote
  // after `guard` (a mark of the store, taken when the caller judged the blocks unneeded; none:
  // erase them all): such a block stays, indexed again. `done` gets the ids erased, once the
  // erase committed.
  void forget_blocks(const std::vector<Id256>& ids, std::shared_ptr<const WriteMark> guard,
                     std::function<void(std::vector<Id256>)> done);
  // Deletes the record sets of `kind` of `owners` (BlockRelease's old tombstones): un-indexed
  // now, deleted in the next batch. A set with a change on its way to the disk stays. `done`
  // gets the owners dropped, once the batch committed (none if it failed: they are back).
  void forget_records(KeyKind kind, const std::vector<Id256>& owners,
                      std::function<void(std::vector<Id256>)> done);
  // A mark of the store's write history now, for forget_blocks (none from a store that no
  // other writer shares).
  std::shared_ptr<const WriteMark> write_mark() { return store_.write_mark(); }

  size_t size() const { return index_.size(); }
  size_t blocks() const { return count(KeyKind::block); }
  size_t head_sets() const { return count(KeyKind::heads); }
  size_t inboxes() const { return count(KeyKind::inbox); }
  size_t claimed_blocks() const { return count(KeyKind::claims); }
  // The keys of the blocks with claims (KeyKind::claims sets held), in key order.
  const std::set<Id256>& claimed() const { return claimed_; }
  // The block's claims; an empty set if it has none.
  Result<ClaimSet> claims_of(const Id256& block) const;
  // The block has claims and every one of them is cancelled: no claimant needs it any more
  // (docs/lifecycle.md, Ring collection). Repair and handoff do not move such a block (a copy
  // moved back would outlive the others), and BlockRelease erases it after a grace period.
  bool released(const Id256& block) const;
  // A tombstone: the block's claims are all cancelled and this node holds no copy of it (it
  // erased its copy, or never had one). Repair neither pushes one to a peer that lacks the
  // key nor takes one in that it lacks (KeyTransfer), so tombstones that BlockRelease dropped
  // do not come back.
  bool tombstone(const Id256& block) const {
    return !contains(KeyKind::block, block) && claimed_.count(block) && released(block);
  }
  // The claimed blocks put (or adopted) since the last call, held or not: a writer that wrote
  // a released block anew is about to claim it, so BlockRelease starts its grace again. With
  // more than kMaxPuts of them, `all` says to start every grace again instead.
  struct PutsOfClaimed {
    std::vector<Id256> ids;
    bool all = false;
  };
  PutsOfClaimed take_puts_of_claimed();
  static constexpr size_t kMaxPuts = size_t(1) << 16;
  // The blocks whose claims changed (or were indexed, at start) since the last call, in the
  // same form: only those can have become released, so BlockRelease looks at them (and at
  // the blocks in their grace) instead of every claimed block each sweep.
  PutsOfClaimed take_claims_changed();
  // Keys of one kind held.
  size_t count(KeyKind kind) const { return counts_[size_t(kind) % counts_.size()]; }
  uint64_t block_bytes() const { return block_bytes_; }
  // What the store under it can still take (LocalStore::space).
  Result<StoreSpace> space() const { return store_.space(); }
  // Space a bounded store keeps for records once it refuses new blocks (put_block answers
  // no_space when a block would leave less): a full node still takes the claims and cancels
  // that give its space back, and head sets. A 64th of the store, 64 KiB to 64 MiB.
  static uint64_t record_reserve(uint64_t total);
  // Whether the last new block put here was refused for want of space.
  bool refusing_blocks() const { return refusing_blocks_; }
  bool contains(KeyKind kind, const Id256& key) const;
  std::optional<KeyEntry> entry(KeyKind kind, const Id256& key) const;
  // Entries with key in (lo, hi], in ring order from lo; stops when fn returns false.
  void for_range(const Id256& lo, const Id256& hi,
                 const std::function<bool(const KeyEntry&)>& fn) const;
  // The digests of the 2^parts_log2 parts of (lo, hi] (see ring::split).
  std::vector<RangeDigest> summarize(const Id256& lo, const Id256& hi, unsigned parts_log2) const;
  // Up to `limit` entries of (lo, hi] in ring order; *truncated if there were more.
  std::vector<KeyEntry> list(const Id256& lo, const Id256& hi, size_t limit, bool* truncated) const;

  static Fingerprint block_fingerprint(const Id256& id);
  static Fingerprint record_fingerprint(KeyKind kind, const Id256& key, const Id256& set_digest);
  static Fingerprint heads_fingerprint(const Id256& key, const Id256& set_digest) {
    return record_fingerprint(KeyKind::heads, key, set_digest);
  }

 private:
  using IndexKey = std::pair<Id256, KeyKind>;
  using RecordKey = std::pair<KeyKind, Id256>;  // kind, owner
  // Writes accepted but not committed yet; a key belongs to the newest batch that writes it.
  struct Batch {
    uint64_t seq = 0;
    std::vector<Id256> blocks;
    std::vector<Id256> erased;
    std::shared_ptr<const WriteMark> erase_guard;  // of every erase in the batch
    std::vector<RecordKey> records;
    std::vector<Done> waiters;
    size_t bytes = 0;
  };
  struct MemBlock {
    std::shared_ptr<const Bytes> data;
    uint64_t batch;
  };
  struct MemRecords {
    RecordSet set;
    uint64_t batch;
  };

  void index_block(const Id256& id);
  // Whether a new block of `bytes` fits and leaves record_reserve() free (no_space if not).
  Status room_for_block(size_t bytes);
  // Counts and indexes a block already on disk in the shared store.
  void index_stored_block(const Id256& id, size_t size);
  void index_records(const RecordSet& set);
  void unindex(KeyKind kind, const Id256& key);
  // The stored set, parsed from its row; an empty set if there is none.
  Result<RecordSet> stored_records(KeyKind kind, const Id256& owner) const;
  // Indexes the set stored in one row of the heads table (start-up); false if it is unreadable.
  bool index_row(const Id256& row);
  void reindex_stored(const RecordKey& rk);
  // Later on the loop thread, unless this store is gone by then.
  void post(std::function<void()> fn);
  void wait_for(uint64_t batch, Done done);
  // `now`: even while another batch is being written (a forget_blocks whose guard differs).
  void write_pending(bool now = false);
  void committed(uint64_t seq, const Status& st);

  LocalStore& store_;
  DiskQueue& disk_;
  std::map<IndexKey, KeyEntry> index_;
  std::array<size_t, 5> counts_{};  // entries of index_ by kind
  uint64_t block_bytes_ = 0;
  std::unordered_map<Id256, MemBlock, Id256Hash> mem_blocks_;  // indexed, not committed
  std::map<RecordKey, MemRecords> mem_records_;                // the newest set, not committed
  std::set<Id256> claimed_;                                    // keys of the claims sets in index_
  // The claimed blocks whose claims are all cancelled (released()), kept as the sets are
  // indexed: BlockRelease asks about every block claimed since its last sweep, and reading
  // each set back from the store's map cost a 1 GiB write a third of its page faults.
  std::unordered_set<Id256, Id256Hash> released_;
  // Every row of the heads table was read at start-up: a claims set not in index_ is in no
  // row, and a claim for a new block needs no read of the store (put_records).
  bool rows_indexed_ = true;
  std::unordered_set<Id256, Id256Hash> erasing_;  // forgotten, the erase not committed yet
  PutsOfClaimed puts_of_claimed_;
  PutsOfClaimed claims_changed_{{}, true};  // at start: every claimed block
  void note_put(const Id256& id);
  Batch pending_;
  std::deque<Batch> writing_;
  // room_for_block: the store's last answer and the block bytes taken since.
  StoreSpace room_;
  uint64_t room_used_ = 0, room_taken_ = 0;  // unstored at the answer + taken; taken since
  bool room_known_ = false;
  bool refusing_blocks_ = false;  // handed to the disk queue, oldest first
  std::vector<std::function<void()>> drained_;
  // Disk completions and posted answers hold it weakly: they may arrive after we are gone.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace peerstore
