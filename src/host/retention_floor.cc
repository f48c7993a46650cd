#include "host/retention_floor.h"

#include <charconv>
#include <mutex>

#include "common/file_io.h"

namespace peerstore::host {

namespace {

std::mutex write_mu;  // raise(): one writer of the file at a time

}  // namespace

RetentionFloor::RetentionFloor(std::string path) : path_(std::move(path)), floor_(read(path_)) {}

int64_t RetentionFloor::read(const std::string& path) {
  auto bytes = read_whole_file(path, 64);
  if (!bytes) return 0;
  std::string text(bytes->begin(), bytes->end());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  int64_t ns = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ns);
  if (ec != std::errc() || end != text.data() + text.size() || ns < 0) return 0;
  return ns;
}

Status RetentionFloor::raise(int64_t ns) {
  std::lock_guard lock(write_mu);
  if (ns <= floor_.load()) return {};
  std::string text = std::to_string(ns) + "\n";
  PS_TRY(write_file_durably(path_, to_bytes(text), Placement::replace, 0644));
  floor_ = ns;
  return {};
}

}  // namespace peerstore::host
