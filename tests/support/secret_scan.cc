#include "support/secret_scan.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace peerstore::test {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxScanned = size_t(64) << 20;

std::string read_file(const fs::path& p, size_t cap) {
  std::ifstream in(p, std::ios::binary);
  std::string s;
  // Sized by the file, not the cap: zeroing the cap for each of thousands of small files cost
  // minutes.
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  s.resize(ec ? cap : std::min<size_t>(cap, size_t(size)));
  cap = s.size();
  in.read(s.data(), std::streamsize(cap));
  s.resize(size_t(in.gcount()));
  return s;
}

std::string base64(const std::string& raw, int variant) {
  std::string out(sodium_base64_encoded_len(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// KIND and SEED of plain key file bytes, or nothing.
bool parse_key(const std::string& bytes, std::string& kind, std::string& seed) {
  static const std::string magic =
      "\xad"
      "peerstore-key";  // fixstr 13
  // [magic, 1, KIND, bin8 32 SEED]
  if (bytes.size() < 1 + magic.size() + 1 + 1 + 2 + 32 || uint8_t(bytes[0]) != 0x94) return false;
  if (bytes.compare(1, magic.size(), magic) != 0 || bytes[1 + magic.size()] != 0x01) return false;
  size_t k = 2 + magic.size();
  uint8_t tag = uint8_t(bytes[k]);
  if ((tag & 0xe0) != 0xa0) return false;
  size_t len = tag & 0x1f;
  if (k + 1 + len + 2 + 32 != bytes.size()) return false;
  if (uint8_t(bytes[k + 1 + len]) != 0xc4 || uint8_t(bytes[k + 2 + len]) != 32) return false;
  kind = bytes.substr(k + 1, len);
  seed = bytes.substr(bytes.size() - 32);
  return true;
}

}  // namespace

std::optional<PlainKey> read_plain_key(const std::string& path) {
  PlainKey k;
  if (!parse_key(read_file(path, 4096), k.kind, k.seed)) return std::nullopt;
  return k;
}

std::vector<std::pair<std::string, std::string>> secret_forms(const std::string& raw) {
  std::string hex(raw.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.resize(raw.size() * 2);
  std::string upper = hex;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return char(std::toupper(c)); });
  return {
      {"raw bytes", raw},
      {"hex", hex},
      {"upper-case hex", upper},
      {"base64", base64(raw, sodium_base64_VARIANT_ORIGINAL)},
      {"unpadded base64", base64(raw, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)},
      {"base64url", base64(raw, sodium_base64_VARIANT_URLSAFE)},
      {"unpadded base64url", base64(raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)},
      // An invite token's body starts with the secret: its first 252 bits are 42 characters.
      {"an invite token",
       base64(raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING).substr(0, raw.size() * 8 / 6)},
  };
}

SecretScan scan_for_secrets(const std::string& dir, const std::vector<std::string>& exempt) {
  SecretScan scan;
  struct Key {
    std::string file, kind;
    std::vector<std::pair<std::string, std::string>> forms;
  };
  std::vector<Key> keys;
  std::vector<fs::path> others;
  struct stat top {};
  if (::stat(dir.c_str(), &top) != 0) return scan;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != top.st_dev) it.disable_recursion_pending();  // a mount
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    std::string name = it->path().filename().string();
    if (name.ends_with(".mdb") || std::find(exempt.begin(), exempt.end(), name) != exempt.end())
      continue;
    if (name.ends_with(".key")) {
      if (auto k = read_plain_key(it->path().string())) {
        keys.push_back({it->path().string(), k->kind, secret_forms(k->seed)});
        ++scan.keys;
      }
      continue;
    }
    others.push_back(it->path());
  }
  for (const auto& p : others) {
    std::string text = read_file(p, kMaxScanned);
    ++scan.files;
    for (const auto& k : keys)
      for (const auto& [form, needle] : k.forms)
        if (text.find(needle) != std::string::npos)
          scan.leaks.push_back(p.string() + " holds the " + k.kind + " key of " + k.file + " (as " +
                               form + ")");
  }
  return scan;
}

}  // namespace peerstore::test
