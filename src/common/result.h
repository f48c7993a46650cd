// Result<T>: a value or an Error (Errc + context). Errors are values in PeerStore; exceptions
// never cross a layer. Thread contract: plain value types, not synchronized.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace peerstore {

// Small on purpose: callers branch on the code, people read the context.
enum class Errc {
  ok = 0,
  not_found,     // no such key, block, file
  exists,        // already there
  corrupt,       // bad bytes from disk or network: never a bug, never a crash
  io,            // the OS said no (disk, mmap, fsync)
  invalid,       // bad argument from a caller or user
  no_space,      // store or disk full
  busy,          // in use by someone else (lock, mount)
  permission,    // not allowed (mode bits, unreadable key file)
  unavailable,   // network or peer unreachable
  timeout,
  not_supported,
  too_big,       // over a size cap
};

const char* errc_name(Errc e);

struct Error {
  Errc code = Errc::ok;
  std::string context;
  std::string message() const;  // "context: name"
};

// Makes an Error; the usual way to return a failure: `return fail(Errc::io, "open " + path);`
inline Error fail(Errc code, std::string context) { return Error{code, std::move(context)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Errc code() const { return ok() ? Errc::ok : error().code; }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)) {}
  bool ok() const { return err_.code == Errc::ok; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return err_; }
  Errc code() const { return err_.code; }

 private:
  Error err_;
};

using Status = Result<void>;

}  // namespace peerstore

// Propagates a failed Result from an expression; evaluates to nothing.
#define PS_TRY(expr)                                \
  do {                                              \
    auto&& ps_try_r_ = (expr);                      \
    if (!ps_try_r_.ok()) return ps_try_r_.error();  \
  } while (0)

#define PS_CONCAT_INNER(a, b) a##b
#define PS_CONCAT(a, b) PS_CONCAT_INNER(a, b)
// Declares `lhs` from a Result's value or returns its error.
#define PS_ASSIGN(lhs, expr) PS_ASSIGN_IMPL(PS_CONCAT(ps_r_, __LINE__), lhs, expr)
#define PS_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                     \
  if (!tmp.ok()) return tmp.error();     \
  lhs = std::move(tmp).value()
