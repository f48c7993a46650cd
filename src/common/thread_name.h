// Names the calling thread (at most 15 characters are kept), so top, perf and gdb tell the
// data path's threads apart. Thread-safe.
#pragma once

#include <pthread.h>

#include <string>

namespace peerstore {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace peerstore
