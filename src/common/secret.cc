#include "common/secret.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace peerstore {

Secret::Secret(size_t size) : n_(size) {
  if (sodium_init() < 0) std::abort();
  p_ = static_cast<uint8_t*>(sodium_malloc(size ? size : 1));
  if (!p_) std::abort();  // out of locked memory is not recoverable for a key holder
  std::memset(p_, 0, size ? size : 1);
}

Secret::Secret(std::span<const uint8_t> from) : Secret(from.size()) {
  if (!from.empty()) std::memcpy(p_, from.data(), from.size());
}

Secret::~Secret() {
  if (p_) sodium_free(p_);  // sodium_free wipes before unmapping
}

Secret& Secret::operator=(Secret&& o) noexcept {
  if (this != &o) {
    if (p_) sodium_free(p_);
    p_ = o.p_;
    n_ = o.n_;
    o.p_ = nullptr;
    o.n_ = 0;
  }
  return *this;
}

bool Secret::operator==(const Secret& o) const {
  return n_ == o.n_ && (n_ == 0 || sodium_memcmp(p_, o.p_, n_) == 0);
}

}  // namespace peerstore
