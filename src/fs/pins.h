// Pins: named versions of a volume kept until unpinned (docs/lifecycle.md, What is retained),
// whatever retention would thin. A pin is a hidden attribute of the volume's root inode,
// "peerstore.pin.NAME" = msgpack [1, head hash (bin 32), pinned at (ns), note (str)], so it
// lives in the tree and reaches every computer of the user through live sync, which merges
// attributes per name. `peerstore snapshots pin` makes them. Pinned versions show under
// .snapshots/NAME. Values and functions; the FileSystem ones (pins_on_root.cc, not in the fuzz
// build) are as thread-safe as the FileSystem is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

class FileSystem;

struct Pin {
  std::string name;
  Id256 head;             // the version pinned
  int64_t pinned_ns = 0;  // when it was pinned
  std::string note;       // why, for `peerstore snapshots` (may be empty)
  bool operator==(const Pin&) const = default;
};

inline constexpr std::string_view kPinPrefix = "peerstore.pin.";
inline constexpr size_t kMaxPins = 128;
inline constexpr size_t kMaxPinName = 100;
inline constexpr size_t kMaxPinNote = 200;

// A pin's name is a file name of at most kMaxPinName bytes, not "." or "..", without '/' or
// control characters, and not of the form of an automatic snapshot's name (a version's time,
// fs/retention.h), so the two never clash under .snapshots/. Errc::invalid says which rule.
Status check_pin_name(std::string_view name);

// The attribute's value (the name is in the attribute's name); the note is cut to
// kMaxPinNote bytes.
Bytes encode_pin(const Pin& pin);
// Errc::corrupt for anything but what encode_pin makes, with `name` checked too.
Result<Pin> decode_pin(std::string_view name, ByteView value);

// The pins on `fs`'s root, by name; a pin that does not decode is skipped with a warning.
std::vector<Pin> read_pins(FileSystem& fs);
// Adds `pin` (EEXIST: a pin of that name exists; ENOSPC: kMaxPins already; EINVAL: a bad
// name). Committed with the file system's next commit.
int add_pin(FileSystem& fs, const Pin& pin);
// ENOENT when no pin has that name.
int remove_pin(FileSystem& fs, const std::string& name);

}  // namespace peerstore
