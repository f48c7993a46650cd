#include "common/process_memory.h"

#include <malloc.h>

namespace peerstore {

void limit_malloc_arenas() {
  mallopt(M_ARENA_MAX, 2);
}

void give_back_free_memory() {
  malloc_trim(0);
}

}  // namespace peerstore
