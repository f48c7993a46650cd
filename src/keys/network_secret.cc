#include "keys/network_secret.h"

#include <sodium.h>

#include "keys/key_file.h"

namespace peerstore {
namespace {

constexpr char kKind[] = "network";

Result<Secret> checked(Result<Secret> s, const std::string& path) {
  if (s && s->size() != kNetworkSecretSize)
    return fail(Errc::corrupt, "network secret " + path + " has the wrong size");
  return s;
}

}  // namespace

std::string network_secret_path(const std::string& data_dir) {
  return data_dir + "/network.key";
}

Result<Secret> load_network_secret(const std::string& data_dir) {
  std::string path = network_secret_path(data_dir);
  auto s = read_key_file(path, kKind);
  if (!s && s.code() == Errc::not_found)
    return fail(Errc::not_found, "no network secret in " + data_dir);
  return checked(std::move(s), path);
}

Result<Secret> load_or_create_network_secret(const std::string& data_dir) {
  auto stored = load_network_secret(data_dir);
  if (stored || stored.code() != Errc::not_found) return stored;
  Secret fresh(kNetworkSecretSize);
  randombytes_buf(fresh.data(), fresh.size());
  Status st = write_key_file(network_secret_path(data_dir), kKind, fresh);
  if (st.code() == Errc::exists) return load_network_secret(data_dir);  // another start won
  if (!st) return st.error();
  return fresh;
}

Status adopt_network_secret(const std::string& data_dir, const Secret& secret) {
  if (secret.size() != kNetworkSecretSize)
    return fail(Errc::invalid,
                "a network secret is " + std::to_string(kNetworkSecretSize) + " bytes");
  std::string path = network_secret_path(data_dir);
  Status st = write_key_file(path, kKind, secret);
  if (st || st.code() != Errc::exists) return st;
  PS_ASSIGN(Secret stored, load_network_secret(data_dir));
  if (stored == secret) return {};
  return fail(Errc::exists, data_dir +
                                " belongs to another PeerStore network; use another --data "
                                "or remove " +
                                path);
}

}  // namespace peerstore
