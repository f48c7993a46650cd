// The commands of `peerstore-share` (docs/sharing.md). whoami, grant, revoke, list, leave and
// name. Each returns what the tool prints, or an error with a message for people. Run on the
// calling thread.
#pragma once

#include <string>

#include "common/result.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

// The user's id (keys/user_id.h) from CONFIG/user.key, unlocked with the passphrase if it has
// one. Errc::not_found with what to do if there is no user key yet.
Result<std::string> whoami(const DataDirLayout& layout);

// Shares the folder `path` of a running PeerStore mount with `user` (a user id), read-write
// with `write`: asks the mount that holds `path` (host/share_control.h). Errc::invalid with one
// line that says what to do for a bad id, a path that is no folder or not in a mount, the
// mount's root, a folder inside a shared one, files open in it; Errc::unavailable when the
// grant did not reach the network (run it again).
Result<std::string> grant(const std::string& path, const std::string& user, bool write);

// Revokes `user`'s access to the shared folder `path` (docs/sharing.md, Revoke): the mount
// rotates it to new keys and re-grants the other members. Returns a line and the exposure
// report: every file and version `user` could read until now. Errc::invalid with one line that
// says what to do for a bad id, a path that is no folder or not one the user shares, a user
// never granted it, files open for writing; Errc::unavailable when the new grants did not
// reach the network yet (the mount retries).
Result<std::string> revoke(const std::string& path, const std::string& user);

// Leaves the share at `path` (a folder under shared/ in the mount): it goes from every
// computer of the user and does not come back; nothing in it is deleted.
Result<std::string> leave(const std::string& path);

// Shows `user`'s shares under shared/NAME instead of their short id, on every computer of
// this user. `path`: any path in the mount; when it is in none, the one running PeerStore
// mount of this user.
Result<std::string> name(const std::string& user, const std::string& given,
                         const std::string& path);

// What the mount that holds `path` (any path in it) says it shares and was given.
Result<std::string> list(const std::string& path);

}  // namespace peerstore::host
