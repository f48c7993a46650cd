// The one place where lower-layer error codes become errnos.
#include <cerrno>

#include "fs/file_system.h"

namespace peerstore {

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

}  // namespace peerstore
