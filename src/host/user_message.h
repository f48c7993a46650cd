// user_message: the form of an error that a tool prints: the context of a start-up error is
// written as a sentence for people; without one, the error code's text. Thread-safe.
#pragma once

#include <string>

#include "common/result.h"

namespace peerstore::host {

inline std::string user_message(const Error& e) {
  return e.context.empty() ? e.message() : e.context;
}

}  // namespace peerstore::host
