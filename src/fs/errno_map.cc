// The one place where lower-layer error codes become errnos, and errnos (of the file system's
// operations, or of local files beside them) become error codes.
#include <cerrno>

#include "fs/file_system.h"

namespace peerstore {

// Two tables, one case a line.
// clang-format off
int to_errno(Errc code) {
  switch (code) {
    case Errc::ok: return 0;
    case Errc::not_found: return ENOENT;
    case Errc::exists: return EEXIST;
    case Errc::corrupt: return EIO;
    case Errc::io: return EIO;
    case Errc::invalid: return EINVAL;
    case Errc::no_space: return ENOSPC;
    case Errc::busy: return EBUSY;
    case Errc::permission: return EACCES;
    case Errc::unavailable: return EIO;
    case Errc::timeout: return ETIMEDOUT;
    case Errc::not_supported: return EOPNOTSUPP;
    case Errc::too_big: return EFBIG;
  }
  return EIO;
}

Errc errc_of_errno(int err) {
  switch (err) {
    case 0: return Errc::ok;
    case ENOENT: return Errc::not_found;
    case EEXIST: return Errc::exists;
    case ENOSPC: return Errc::no_space;
    case EDQUOT: return Errc::no_space;
    case EACCES: return Errc::permission;
    case EPERM: return Errc::permission;
    case EROFS: return Errc::permission;
    case ENOTDIR: return Errc::invalid;
    case EISDIR: return Errc::invalid;
    case EINVAL: return Errc::invalid;
    case ENAMETOOLONG: return Errc::invalid;
    case EBUSY: return Errc::busy;
    case ETIMEDOUT: return Errc::timeout;
    case EOPNOTSUPP: return Errc::not_supported;
    case EFBIG: return Errc::too_big;
    case E2BIG: return Errc::too_big;
    case ERANGE: return Errc::too_big;
  }
  return Errc::io;
}
// clang-format on

}  // namespace peerstore
