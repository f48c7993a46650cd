// Secret: a fixed-size buffer in sodium_malloc'ed memory (guard pages, mlock'ed, wiped on
// free) for keys and seeds. Move-only. Not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace peerstore {

class Secret {
 public:
  Secret() = default;
  explicit Secret(size_t size);  // zero-filled; aborts if sodium cannot allocate
  Secret(std::span<const uint8_t> from);
  ~Secret();
  Secret(Secret&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
  Secret& operator=(Secret&& o) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  Secret clone() const { return Secret(view()); }
  uint8_t* data() { return p_; }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  std::span<const uint8_t> view() const { return {p_, n_}; }
  bool operator==(const Secret& o) const;

 private:
  uint8_t* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace peerstore
