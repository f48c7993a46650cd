#include "host/share_control.h"

#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <map>

#include "common/log.h"
#include "host/share_receiver.h"
#include "keys/user_id.h"

namespace peerstore::host {
namespace {

Secret random_secret() {
  Secret s(32);
  randombytes_buf(s.data(), s.size());
  return s;
}

}  // namespace

int64_t ShareControl::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ShareControl::ShareControl(LocalStore& store, PostGrant post, const SigningKey& user,
                           PublicKey device, FileSystem::Options opts)
    : store_(store),
      post_(std::move(post)),
      user_(SigningKey::from_seed(user.seed())),
      device_(device),
      opts_(std::move(opts)) {}

int ShareControl::request(MountTree& tree, uint64_t kino, std::string_view name, ByteView value) {
  if (name == kLeave) {
    std::lock_guard lock(mu_);
    return leave(tree, kino);
  }
  if (name == kName) {
    std::string_view v = as_chars(value);
    auto space = v.find(' ');
    if (space == std::string_view::npos) return EINVAL;
    auto user = UserId::parse(v.substr(0, space));
    std::string given(v.substr(space + 1));
    // A name is a folder name under /shared, and never looks like a user id.
    if (!user || !GrantContent::check_folder(given) || given.rfind(UserId::kPrefix, 0) == 0)
      return EINVAL;
    std::string attr = std::string(ShareReceiver::kNameAttr) + user->hex();
    if (int e = tree.home().set_hidden(NodeTable::kRootIno, attr, to_bytes(given))) return e;
    if (on_change_) on_change_();
    return 0;
  }
  if (name == kRevoke) {
    auto user = UserId::parse(as_chars(value));
    if (!user) return EINVAL;
    std::lock_guard lock(mu_);
    return revoke(tree, kino, *user);
  }
  if (name != kGrant) return EOPNOTSUPP;
  std::string_view v = as_chars(value);
  auto space = v.find(' ');
  if (space == std::string_view::npos) return EINVAL;
  auto recipient = UserId::parse(v.substr(0, space));
  std::string_view mode = v.substr(space + 1);
  if (!recipient || (mode != "rw" && mode != "ro")) return EINVAL;
  if (*recipient == user_.public_key()) {
    log::warn("share: a folder is not shared with its own user (your computers see it already)");
    return EINVAL;
  }
  std::lock_guard lock(mu_);
  return grant(tree, kino, *recipient, mode == "rw");
}

int ShareControl::grant(MountTree& tree, uint64_t kino, const PublicKey& recipient, bool write) {
  MountTree::Where w;
  if (int e = tree.where(kino, &w)) return e;
  GrantContent content;
  uint64_t link_ino = w.linked_root && w.home_link ? kino : 0;
  if (w.linked_root) {
    auto c = GrantContent::decode(ByteView(w.link->data(), w.link->size()));
    if (!c) return EIO;
    content = std::move(*c);
    if (!content.writable()) {
      log::warn("share: this computer may only read " + content.folder + ": it cannot share it");
      return EACCES;
    }
  } else if (!w.home) {
    return EEXIST;  // a folder inside a shared one
  } else if (int e = split(w, &content, &link_ino)) {
    return e;
  }
  content.grantor = user_.public_key();
  content.recipient = recipient;
  content.time_ns = now_ns();
  if (!write) content.signing_seed.reset();
  auto g = Grant::make(user_, content);
  if (!g) {
    log::error("share: cannot make the grant: " + g.error().message());
    return EIO;
  }
  if (Status st = post_(*g); !st) {
    log::warn("share: " + content.folder + " is a volume of its own now, but its grant to " +
              UserId::short_form(recipient) +
              " did not reach the network: " + st.error().message() + "; run the command again");
    return EAGAIN;
  }
  log::info("shared " + content.folder + " with " + UserId::short_form(recipient) +
            (write ? " (read-write)" : " (read-only)"));
  // What `list` shows, on every computer of the user (the home root syncs).
  Bytes record(17);
  record[0] = write ? 1 : 0;
  put_u64be(record.data() + 1, uint64_t(content.time_ns));
  put_u64be(record.data() + 9, link_ino);
  std::string name = std::string(kGrantRecord) + content.volume.hex() + "." + recipient.hex();
  if (int e = tree.home().set_hidden(NodeTable::kRootIno, name, record))
    log::warn("share: the grant is made but not recorded for list: errno " + std::to_string(e));
  return 0;
}

int ShareControl::leave(MountTree& tree, uint64_t kino) {
  MountTree::Where w;
  if (int e = tree.where(kino, &w)) return e;
  if (!w.linked_root || !w.home_link) return EINVAL;
  std::string path;
  if (int e = tree.home().path_of_dir(kino, &path)) return e;
  // /shared/OWNER/FOLDER: what the receiver placed; a folder the user shares is no such path.
  std::vector<std::string> parts;
  for (size_t at = 1; at <= path.size();) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  if (parts.size() != 3 || parts[0] != "shared") return EINVAL;
  // Recorded as left first, with the link, so no grant shows it again (the receiver would
  // notice the link gone only at its next read, which an unmount may never give it).
  std::map<std::string, Bytes> slot;
  if (int e = tree.home().hidden(kino, ShareReceiver::kSlotAttr, &slot)) return e;
  if (slot.size() != 1 || slot.begin()->second.size() != 64) return EINVAL;
  std::string left = std::string(ShareReceiver::kLeftAttr) + to_hex(slot.begin()->second);
  if (int e = tree.home().set_hidden(NodeTable::kRootIno, left, {})) return e;
  if (int e = tree.home().remove_link(parts)) return e;
  log::info("shares: left " + path);
  return 0;
}

int ShareControl::query(MountTree& tree, uint64_t, std::string_view name, std::string* out) {
  std::lock_guard lock(mu_);
  if (name.substr(0, kReport.size()) == kReport) {
    std::string_view n = name.substr(kReport.size());
    size_t page = 0;
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != n.npos) return EINVAL;
    for (char c : n) page = page * 10 + size_t(c - '0');
    if (report_.empty()) return ENODATA;
    size_t at = page * kReportPage;
    *out = at < report_.size() ? report_.substr(at, kReportPage) : std::string();
    return 0;
  }
  if (name != kList) return EOPNOTSUPP;
  *out = list(tree);
  return 0;
}

std::string ShareControl::list(MountTree& tree) {
  auto when = [](int64_t ns) {
    time_t secs = time_t(ns / 1000000000);
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return std::string(buf);
  };
  FileSystem& home = tree.home();
  std::string text = "Folders you share:\n";
  std::map<std::string, Bytes> grants;
  (void)home.hidden(NodeTable::kRootIno, kGrantRecord, &grants);
  size_t made = 0;
  for (auto& [key, value] : grants) {
    if (value.size() != 17) continue;
    std::string_view rest = std::string_view(key).substr(kGrantRecord.size());
    auto dot = rest.find('.');
    if (dot == std::string_view::npos) continue;
    auto bytes = from_hex(rest.substr(dot + 1));
    if (!bytes) continue;
    auto recipient = Id256::from(*bytes);
    if (!recipient) continue;
    std::string path;
    uint64_t link = get_u64be(value.data() + 9);
    if (link == 0 || home.path_of_dir(link, &path) != 0) path = "(a folder no longer linked)";
    text += "  " + path + "  with " + UserId::short_form(*recipient) + "  " +
            (value[0] ? "read and write" : "read only") + "  since " +
            when(int64_t(get_u64be(value.data() + 1))) + "\n";
    ++made;
  }
  if (made == 0) text += "  none\n";
  text += "Folders shared with you:\n";
  std::vector<FileSystem::FoundLink> found;
  (void)home.links_below({"shared"}, &found);
  size_t got = 0;
  for (auto& f : found) {
    auto c = GrantContent::decode(ByteView(f.link->data(), f.link->size()));
    if (!c) continue;
    std::string path;
    for (auto& p : f.path) path += "/" + p;
    text += "  " + path + "  from " + UserId::short_form(c->grantor) + "  " +
            (c->writable() ? "read and write" : "read only") + "  since " + when(c->time_ns) + "\n";
    ++got;
  }
  if (got == 0) text += "  none\n";
  // An extended attribute holds at most 64 KiB.
  constexpr size_t kMax = 64 << 10;
  if (text.size() > kMax) text = text.substr(0, kMax - 32) + "\n  (and more)\n";
  return text;
}

GrantContent ShareControl::fresh_volume(std::string folder, const Id256* lineage,
                                        uint64_t epoch) const {
  SigningKey signer = SigningKey::generate();
  GrantContent c;
  c.volume = signer.public_key();
  c.read_key = random_secret();
  c.convergence = random_secret();
  c.signing_seed = signer.seed().clone();
  c.folder = std::move(folder);
  c.grantor = c.recipient = user_.public_key();
  c.lineage = lineage ? *lineage : c.volume;
  c.epoch = epoch;
  c.time_ns = now_ns();
  return c;
}

Result<std::unique_ptr<FileSystem>> ShareControl::open_volume(const GrantContent& c) {
  PS_ASSIGN(auto keys, c.writer_keys());
  PS_ASSIGN(auto volume, Volume::open(store_, std::move(keys), device_));
  return FileSystem::open(std::move(volume), opts_, Caller{getuid(), getgid()});
}

Secret ShareControl::link_bytes(const GrantContent& c) {
  Bytes b = c.encode();
  Secret s(b);
  sodium_memzero(b.data(), b.size());
  return s;
}

int ShareControl::split(const MountTree::Where& where, GrantContent* content, uint64_t* link_ino) {
  GrantContent self = fresh_volume("", nullptr, 0);
  auto into = open_volume(self);
  if (!into) {
    log::error("share: cannot make a volume: " + into.error().message());
    return EIO;
  }
  int e = where.fs->split_into(
      where.ino, **into,
      [&](std::string_view folder) -> Result<Secret> {
        self.folder = std::string(folder);
        PS_TRY(GrantContent::check_folder(self.folder));
        return link_bytes(self);
      },
      link_ino);
  if (e) return e;
  (*into)->commit();
  *content = std::move(self);
  return 0;
}

ShareControl::PostGrant ShareControl::post_through(DhtClient& dht) {
  return [&dht](const Grant& g) -> Status {
    auto done = std::make_shared<std::promise<Status>>();
    auto result = done->get_future();
    dht.put_records(KeyKind::inbox, g.recipient, {g.encode()},
                    [done](Status st) { done->set_value(std::move(st)); });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      return fail(Errc::timeout, "no answer from the ring within 10 s");
    return result.get();
  };
}

}  // namespace peerstore::host
