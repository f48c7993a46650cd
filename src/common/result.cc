#include "common/result.h"

namespace peerstore {

const char* errc_name(Errc e) {
  switch (e) {
    case Errc::ok: return "ok";
    case Errc::not_found: return "not found";
    case Errc::exists: return "already exists";
    case Errc::corrupt: return "corrupt data";
    case Errc::io: return "I/O error";
    case Errc::invalid: return "invalid argument";
    case Errc::no_space: return "no space left";
    case Errc::busy: return "busy";
    case Errc::permission: return "permission denied";
    case Errc::unavailable: return "unavailable";
    case Errc::timeout: return "timed out";
    case Errc::not_supported: return "not supported";
    case Errc::too_big: return "too big";
  }
  return "unknown error";
}

std::string Error::message() const {
  if (context.empty()) return errc_name(code);
  return context + ": " + errc_name(code);
}

}  // namespace peerstore
