#include "common/process_memory.h"

#include <malloc.h>

namespace peerstore {

void limit_malloc_arenas() {
  mallopt(M_ARENA_MAX, 2);
}

}  // namespace peerstore
