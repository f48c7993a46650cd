// What this process has mapped of a file, from /proc/self/smaps: for tests that bound the RSS
// a file's map adds.
#pragma once

#include <cctype>
#include <cstddef>
#include <fstream>
#include <string>

namespace peerstore::test {

// KiB of the mappings of the file whose path ends with `suffix` that are resident (smaps' Rss).
inline size_t mapped_kib(const std::string& suffix) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  size_t kib = 0;
  while (std::getline(smaps, line)) {
    size_t dash = line.find('-');
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
        dash != std::string::npos && dash < line.find(' '))
      in = line.size() >= suffix.size() &&
           line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0;
    else if (in && line.rfind("Rss:", 0) == 0)
      kib += std::stoul(line.substr(4));
  }
  return kib;
}

}  // namespace peerstore::test
