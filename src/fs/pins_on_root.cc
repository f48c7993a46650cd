// fs/pins.h: the pins as hidden attributes of a file system's root. Apart from pins.cc, whose
// codec the fuzz build compiles without the file system.
#include <cerrno>
#include <map>

#include "common/log.h"
#include "fs/file_system.h"
#include "fs/node_table.h"
#include "fs/pins.h"

namespace peerstore {

std::vector<Pin> read_pins(FileSystem& fs) {
  std::map<std::string, Bytes> attrs;
  std::vector<Pin> out;
  if (int e = fs.hidden(NodeTable::kRootIno, kPinPrefix, &attrs)) {
    log::warn("cannot read the pinned snapshots: errno " + std::to_string(e));
    return out;
  }
  for (auto& [attr, value] : attrs) {
    std::string_view name = std::string_view(attr).substr(kPinPrefix.size());
    auto p = decode_pin(name, value);
    if (!p) {
      log::warn("a pinned snapshot that cannot be read is skipped: " + p.error().message());
      continue;
    }
    out.push_back(std::move(*p));
  }
  return out;
}

int add_pin(FileSystem& fs, const Pin& pin) {
  if (!check_pin_name(pin.name)) return EINVAL;
  std::vector<Pin> pins = read_pins(fs);
  for (const Pin& p : pins)
    if (p.name == pin.name) return EEXIST;
  if (pins.size() >= kMaxPins) return ENOSPC;
  return fs.set_hidden(NodeTable::kRootIno, std::string(kPinPrefix) + pin.name, encode_pin(pin));
}

int remove_pin(FileSystem& fs, const std::string& name) {
  std::map<std::string, Bytes> attrs;
  std::string attr = std::string(kPinPrefix) + name;
  if (int e = fs.hidden(NodeTable::kRootIno, attr, &attrs)) return e;
  if (!attrs.count(attr)) return ENOENT;
  return fs.remove_hidden(NodeTable::kRootIno, attr);
}

}  // namespace peerstore
