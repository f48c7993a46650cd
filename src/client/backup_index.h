// BackupIndex: what `peerstore backup` knew of each source file when it last stored it: its
// device, inode, size, mtime and ctime (a SourceStamp). A file whose stamp still matches, and
// whose copy in the tree has its size, is not read again. Kept in DATA/client/backup.index,
// encoded with msgpack and written whole and atomically after a run. A missing or damaged index
// costs only time: every file is then compared with its copy in the tree, and only chunks that
// differ are written (and uploaded). Value type; not synchronized.
#pragma once

#include <sys/stat.h>

#include <map>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore::client {

struct SourceStamp {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const SourceStamp&) const = default;
};
SourceStamp stamp_of(const struct stat& st);

class BackupIndex {
 public:
  static constexpr size_t kMaxFileBytes = size_t(1) << 30;
  static constexpr size_t kMaxPath = 4096;
  static constexpr uint32_t kVersion = 1;

  // Refuses (corrupt) anything but a whole, well-formed index.
  static Result<BackupIndex> decode(ByteView bytes);
  Bytes encode() const;

  // The index at `path`: empty if there is none; empty too if it is damaged or unreadable, with
  // why in *warning (the caller says so: the run then reads every file).
  static BackupIndex load(const std::string& path, std::string* warning);
  Status save(const std::string& path) const;

  const SourceStamp* find(const std::string& source) const;
  void set(const std::string& source, const SourceStamp& stamp) { entries_[source] = stamp; }
  // Forgets every file at or under directory `dir` (a run re-adds what it still finds there).
  void forget_under(const std::string& dir);
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, SourceStamp> entries_;  // by absolute source path
};

}  // namespace peerstore::client
