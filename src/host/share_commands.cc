#include "host/share_commands.h"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "host/share_control.h"
#include "host/user_key.h"
#include "keys/signing_key.h"
#include "keys/user_id.h"

namespace peerstore::host {

Result<std::string> whoami(const DataDirLayout& layout) {
  PS_ASSIGN(DecodedKey key, unlock_user_key(layout));
  return UserId::format(SigningKey::from_seed(key.seed).public_key());
}

Result<std::string> grant(const std::string& path, const std::string& user, bool write) {
  PS_ASSIGN(PublicKey recipient, UserId::parse(user));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return fail(Errc::invalid, path + ": " + std::strerror(errno) + "; give a folder to share");
  if (!S_ISDIR(st.st_mode))
    return fail(Errc::invalid, path + " is not a folder: share the folder that holds it");
  // Every folder of a PeerStore mount answers its health attributes; no other file system does.
  if (::getxattr(path.c_str(), "peerstore.replicas", nullptr, 0) < 0)
    return fail(Errc::invalid, path +
                                   " is not in a running PeerStore mount: give a folder under "
                                   "your mount point, with peerstorefs running");
  std::string value = UserId::format(recipient) + (write ? " rw" : " ro");
  if (::setxattr(path.c_str(), std::string(ShareControl::kGrant).c_str(), value.data(),
                 value.size(), 0) != 0) {
    int e = errno;
    switch (e) {
      case EEXIST:
        return fail(Errc::invalid, path +
                                       " is inside a shared folder, or holds one: share that "
                                       "folder, or a folder that holds no shared one");
      case EBUSY:
        return fail(Errc::invalid, "files in " + path + " are open: close them and try again");
      case EXDEV:
        return fail(Errc::invalid, "a file in " + path +
                                       " has a hard link outside it: remove that link, or "
                                       "share a folder that holds both");
      case EINVAL:
        return fail(Errc::invalid, path +
                                       " cannot be shared with that user: share a folder "
                                       "inside the mount, with someone else's user id");
      case EACCES:
      case EPERM:
        return fail(Errc::invalid, "you may not share " + path +
                                       ": it was shared with you read-only, or is not yours");
      case EAGAIN:
        return fail(Errc::unavailable, path +
                                           " is ready to share, but the grant did not reach "
                                           "the network: run the command again");
      default:
        return fail(Errc::io, "sharing " + path + " failed: " + std::strerror(e) +
                                  "; the mount's log says why");
    }
  }
  return "Shared " + path + " with " + UserId::short_form(recipient) +
         (write ? " (read and write)" : " (read only)") +
         "; it appears in their mounts under shared/.";
}

Result<std::string> revoke(const std::string& path, const std::string& user) {
  PS_ASSIGN(PublicKey who, UserId::parse(user));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::invalid, path + " is no folder: give the shared folder to revoke from");
  if (::getxattr(path.c_str(), "peerstore.replicas", nullptr, 0) < 0)
    return fail(Errc::invalid, path +
                                   " is not in a running PeerStore mount: give the shared "
                                   "folder under your mount point, with peerstorefs running");
  std::string value = UserId::format(who);
  if (::setxattr(path.c_str(), std::string(ShareControl::kRevoke).c_str(), value.data(),
                 value.size(), 0) != 0) {
    int e = errno;
    std::string short_id = UserId::short_form(who);
    switch (e) {
      case ENOENT:
        return fail(Errc::invalid, short_id + " was never granted " + path +
                                       ": `peerstore-share list` shows who was");
      case EINVAL:
        return fail(Errc::invalid, path +
                                       " is not a folder you share: give the folder you "
                                       "granted (`peerstore-share list` shows them)");
      case EACCES:
      case EPERM:
        return fail(Errc::invalid,
                    "you may not revoke access to " + path + ": it was shared with you read-only");
      case EBUSY:
        return fail(Errc::invalid,
                    "files in " + path + " are open for writing: close them and try again");
      case EAGAIN:
        return fail(Errc::unavailable,
                    path + " has new keys and " + short_id +
                        " cannot read what changes from now on, but the other members' new "
                        "grants did not reach the network yet; the mount sends them again "
                        "every 10 s (run the command again to see it finish)");
      default:
        return fail(Errc::io, "revoking " + path + " failed: " + std::strerror(e) +
                                  "; nothing changed, and the mount's log says why");
    }
  }
  // The exposure report, page by page.
  std::string report;
  for (size_t page = 0; page < 1000; ++page) {
    std::string name = std::string(ShareControl::kReport) + std::to_string(page);
    std::string buf(ShareControl::kReportPage, '\0');
    ssize_t n = ::getxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
    if (n <= 0) break;
    report.append(buf.data(), size_t(n));
    if (size_t(n) < ShareControl::kReportPage) break;
  }
  while (!report.empty() && report.back() == '\n') report.pop_back();
  return "Revoked " + UserId::short_form(who) + "'s access to " + path + ".\n" + report;
}

namespace {

// `path` if it is in a running PeerStore mount (every path there answers its health
// attributes); else the one PeerStore mount /proc/self/mountinfo lists, if there is one.
Result<std::string> mount_of(const std::string& path) {
  if (::getxattr(path.c_str(), "peerstore.replicas", nullptr, 0) >= 0) return path;
  std::ifstream info("/proc/self/mountinfo");
  std::vector<std::string> found;
  for (std::string line; std::getline(info, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
    std::istringstream in(line);
    std::string id, parent, dev, root, point;
    in >> id >> parent >> dev >> root >> point;
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string type;
    rest >> type;
    if (type == "fuse.peerstorefs") found.push_back(point);
  }
  if (found.size() == 1) return found.front();
  return fail(Errc::invalid, path +
                                 " is not in a running PeerStore mount: give a path under your "
                                 "mount point, with peerstorefs running");
}

}  // namespace

Result<std::string> name(const std::string& user, const std::string& given,
                         const std::string& path) {
  PS_ASSIGN(PublicKey who, UserId::parse(user));
  if (!GrantContent::check_folder(given))
    return fail(Errc::invalid, "a name has 1 to 255 bytes, no '/', and is not '.' or '..'");
  if (given.rfind(UserId::kPrefix, 0) == 0)
    return fail(Errc::invalid, "a name cannot start with '" + std::string(UserId::kPrefix) +
                                   "' (user ids do): choose another");
  PS_ASSIGN(std::string mount, mount_of(path));
  std::string value = UserId::format(who) + " " + given;
  if (::setxattr(mount.c_str(), std::string(ShareControl::kName).c_str(), value.data(),
                 value.size(), 0) != 0)
    return fail(Errc::io, std::string("naming failed: ") + std::strerror(errno) +
                              "; the mount's log says why");
  return "Shares from " + UserId::short_form(who) + " now show under shared/" + given + "/.";
}

Result<std::string> list(const std::string& where) {
  PS_ASSIGN(std::string path, mount_of(where));
  const std::string name(ShareControl::kList);
  // Asked for its size, then read: the answer may grow in between, so ask again then.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ssize_t n = ::getxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (n < 0) break;
    std::string text(size_t(n) + 1024, '\0');
    n = ::getxattr(path.c_str(), name.c_str(), text.data(), text.size());
    if (n < 0 && errno == ERANGE) continue;
    if (n < 0) break;
    text.resize(size_t(n));
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  return fail(Errc::invalid, path +
                                 " is not in a running PeerStore mount: give a path under your "
                                 "mount point, with peerstorefs running");
}

Result<std::string> leave(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::invalid, path + " is no folder: give a folder under shared/ in your mount");
  if (::getxattr(path.c_str(), "peerstore.replicas", nullptr, 0) < 0)
    return fail(Errc::invalid, path +
                                   " is not in a running PeerStore mount: give a folder under "
                                   "shared/ in your mount, with peerstorefs running");
  if (::setxattr(path.c_str(), std::string(ShareControl::kLeave).c_str(), "", 0, 0) != 0) {
    int e = errno;
    if (e == EINVAL)
      return fail(Errc::invalid, path +
                                     " is not a folder shared with you: leave takes a folder "
                                     "under shared/ in your mount");
    return fail(Errc::io,
                "leaving " + path + " failed: " + std::strerror(e) + "; the mount's log says why");
  }
  return "Left " + path + ": it is gone from all your computers; its owner still has it.";
}

}  // namespace peerstore::host
