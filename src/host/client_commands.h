// The commands of `peerstore` that work on the user's tree without a mount: backup, getfile,
// restore, ls, fsck and snapshots. Each opens a ClientSession, does its work through src/client,
// and reports in lines the tool prints (progress on a terminal, one summary line otherwise). Run on
// the calling thread; `stop` (Ctrl-C) is checked between entries, and what was done until then is
// committed and uploaded, so the next run goes on from there.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "client/backup.h"
#include "common/result.h"
#include "host/client_session.h"

namespace peerstore::host {

struct CommandIo {
  std::function<void(const std::string&)> out;  // results: one line each (with its newline)
  std::function<void(const std::string&)> err;  // problems and the summary
  // A progress line that replaces the previous one (a terminal); null: no progress.
  std::function<void(const std::string&)> progress;
  const std::atomic<bool>* stop = nullptr;
};

// Where `peerstore backup DIR` stores DIR (absolute, no symlinks) of computer `host`:
// /backups/HOST/DIR.
std::string backup_tree_dir(const std::string& host, const std::string& dir);
// This computer's name for backup_tree_dir (gethostname; "localhost" if it has none).
std::string this_host();
// "120/300 files, 12.0 MiB of 20.0 MiB, 35.2 MB/s, 0:03 left".
std::string backup_progress_line(const client::BackupProgress& p, double seconds);

// Exit codes: 0 done; 1 done, but some entries could not be stored (each was reported);
// 130 stopped by `stop` (what was done is on the ring).
Result<int> run_backup(const ClientOptions& options, const std::string& dir, CommandIo& io);
// PATH: the original absolute path of a backed-up file of this computer, or a tree path.
// `version`: empty for the tree as it is now, else a version `peerstore snapshots` lists (its
// time, 2026-12-06T01-00-00, or the start of its head's hash).
Result<int> run_getfile(const ClientOptions& options, const std::string& path,
                        const std::string& dest, const std::string& version, CommandIo& io);
Result<int> run_restore(const ClientOptions& options, const std::string& path,
                        const std::string& dest, const std::string& version, CommandIo& io);
Result<int> run_ls(const ClientOptions& options, const std::string& path, CommandIo& io);
// Reads everything below PATH (default /) and prints each entry that does not read back; with
// `versions`, every block of every version retention keeps instead (PATH must be empty).
// 0: no damage; 1: damage found (each printed); 130: stopped.
Result<int> run_fsck(const ClientOptions& options, const std::string& path, bool versions,
                     CommandIo& io);
// Lists the versions of the tree that are kept, newest first, one line each, by the names
// .snapshots/ shows: "2026-12-06T01-00-00  HEAD[  current]" for what retention keeps,
// "NAME  HEAD  pinned TIME, of TIME[: NOTE][  current]" for a pinned one.
Result<int> run_snapshots(const ClientOptions& options, CommandIo& io);
// Pins `version` (as `peerstore snapshots` names it, or the start of its hash; empty: the
// current one) as NAME (fs/pins.h), so it is kept until unpinned; every computer of the user
// gets the pin through live sync. One-line errors: a bad or taken name, no such version, too
// many pins.
Result<int> run_pin(const ClientOptions& options, const std::string& name,
                    const std::string& version, const std::string& note, CommandIo& io);
// Drops the pin NAME; retention alone decides about its version from then on.
Result<int> run_unpin(const ClientOptions& options, const std::string& name, CommandIo& io);

}  // namespace peerstore::host
