// LmdbTable: a KvTable that is a named database of its own in an LmdbStore's environment
// (LmdbStore::table), so its records share the store's file, its space budget and its crash
// safety. Every write() is one durable LMDB transaction. Thread-safe.
#pragma once

#include <lmdb.h>

#include <memory>

#include "store/kv_table.h"
#include "store/map_budget.h"

namespace peerstore {

class LmdbTable final : public KvTable {
 public:
  // `keep` holds the environment (and `map`, its map's budget) open while the table lives.
  LmdbTable(std::shared_ptr<void> keep, MDB_env* env, MDB_dbi dbi, MapBudget& map)
      : keep_(std::move(keep)), env_(env), dbi_(dbi), map_(map) {}

  Result<std::optional<Bytes>> get(ByteView key) override;
  Status write(const std::vector<Change>& changes) override;
  Status scan(ByteView prefix,
              const std::function<bool(ByteView key, ByteView value)>& fn) override;

 private:
  std::shared_ptr<void> keep_;
  MDB_env* env_;
  MDB_dbi dbi_;
  MapBudget& map_;
};

}  // namespace peerstore
