#include "host/client_commands.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>

#include "client/listing.h"
#include "client/restore.h"
#include "client/tree_check.h"
#include "client/tree_path.h"
#include "client/version_check.h"
#include "common/wall_clock.h"
#include "host/retention_floor.h"

namespace peerstore::host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kUploadTimeout = std::chrono::minutes(10);

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// "2026-12-06T01-00-00": a version's time, as .snapshots/ names it.
std::string version_time(int64_t ns) {
  return ns == 0 ? "(time unknown)" : version_time_name(ns);
}

// Retention as the CLI applies it: the default policy, with the floor this computer's mount
// thinned it to under space pressure, if any (host/retention_floor.h).
RetentionPolicy kept_policy(ClientSession& session) {
  RetentionPolicy policy;
  policy.floor_ns = RetentionFloor::read(DataDirLayout(session.host_data()).thinned());
  return policy;
}

// The versions of the user's tree that are kept, pinned ones included, newest first: what
// .snapshots/ shows, by the same names.
struct KeptVersions {
  std::vector<client::NamedVersion> named;
  client::RetainedHistory history;
  std::optional<Id256> current;  // the newest head
};
Result<KeptVersions> kept_versions(ClientSession& session) {
  PS_ASSIGN(auto volume, session.history_view());
  KeptVersions out;
  if (volume->head()) out.current = volume->head()->hash();
  out.history = client::retained_history(*volume, {}, kept_policy(session), wall_clock_ns(),
                                         read_pins(session.fs()));
  out.named = client::named_versions(out.history);
  return out;
}

// The tree a command reads: as it is now (the session's), or a version of its history.
struct TreeView {
  FileSystem* fs = nullptr;
  std::unique_ptr<FileSystem> past;
  std::string label;  // "" or " as of TIME"
};

Result<TreeView> tree_view(ClientSession& session, const std::string& version) {
  TreeView v;
  v.fs = &session.fs();
  if (version.empty()) return v;
  std::string prefix = version;
  for (auto& c : prefix) c = char(std::tolower(static_cast<unsigned char>(c)));
  PS_ASSIGN(auto kept, kept_versions(session));
  for (const client::NamedVersion& n : kept.named) {
    if (n.name != version && !(prefix.size() >= 6 && n.head.hash().hex().rfind(prefix, 0) == 0))
      continue;
    PS_ASSIGN(v.past, session.version_view(n.head));
    v.fs = v.past.get();
    v.label = " as of " + n.name;
    return v;
  }
  return fail(Errc::not_found,
              "no version " + version + " of your tree; 'peerstore snapshots' lists them");
}

// The tree path PATH names: a backed-up file's original absolute path on this computer if the
// tree has it under /backups/HOST, else PATH itself.
std::string tree_path_for(FileSystem& fs, const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    std::string original = backup_tree_dir(this_host(), path);
    if (client::resolve(fs, original)) return original;
  }
  return path;
}

}  // namespace

std::string backup_tree_dir(const std::string& host, const std::string& dir) {
  std::string out = "/backups/" + host;
  if (dir != "/") out += dir;
  return out;
}

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  std::string h = name;
  for (auto& c : h)
    if (c == '/') c = '_';
  return h == "." || h == ".." ? "localhost" : h;
}

std::string backup_progress_line(const client::BackupProgress& p, double seconds) {
  char buf[160];
  double rate = seconds > 0 ? double(p.bytes_done) / seconds : 0;
  std::string left = "?";
  if (rate > 0 && p.bytes_total >= p.bytes_done) {
    uint64_t s = uint64_t(double(p.bytes_total - p.bytes_done) / rate);
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
    left = buf;
  }
  std::snprintf(buf, sizeof buf, "%llu/%llu files, %s of %s, %.1f MB/s, %s left",
                static_cast<unsigned long long>(p.files_done),
                static_cast<unsigned long long>(p.files_total), human_bytes(p.bytes_done).c_str(),
                human_bytes(p.bytes_total).c_str(), rate / 1e6, left.c_str());
  return buf;
}

Result<int> run_backup(const ClientOptions& o, const std::string& dir, CommandIo& io) {
  char* real = ::realpath(dir.c_str(), nullptr);
  if (!real)
    return fail(errno == ENOENT ? Errc::not_found : Errc::io,
                "cannot back up " + dir + ": " + std::strerror(errno));
  std::string source = real;
  std::free(real);
  ClientOptions writer = o;
  writer.writes = true;
  PS_ASSIGN(auto session, ClientSession::open(writer));
  DataDirLayout mine = o.layout.client();
  std::string warning;
  client::BackupIndex index = client::BackupIndex::load(mine.backup_index(), &warning);
  if (!warning.empty()) io.err("peerstore: note: " + warning + "\n");

  client::BackupOptions bo;
  bo.source = source;
  bo.tree_dir = backup_tree_dir(this_host(), source);
  bo.caller = Caller{::getuid(), ::getgid()};
  bo.exclude = {o.layout.data()};
  bo.stop = io.stop;
  auto started = Clock::now();
  auto last_progress = started - std::chrono::seconds(1);
  if (io.progress)
    bo.progress = [&](const client::BackupProgress& p) {
      if (Clock::now() - last_progress < std::chrono::milliseconds(200) &&
          p.files_done < p.files_total)
        return;
      last_progress = Clock::now();
      io.progress(backup_progress_line(p, seconds_since(started)));
    };
  bo.problem = [&](const std::string& line) { io.err("peerstore: " + line + "\n"); };
  PS_ASSIGN(client::BackupResult r, client::backup(session->fs(), index, bo));
  if (io.progress) io.progress("");
  PS_TRY(session->finish(kUploadTimeout));
  // Only what is on the ring counts as backed up for the next run.
  if (Status saved = index.save(mine.backup_index()); !saved)
    io.err("peerstore: note: " + saved.error().context + "; the next backup compares every file\n");
  auto up = session->tier_stats().upload;
  char line[400];
  std::snprintf(
      line, sizeof line,
      "backed up %s to %s: %llu files (%llu unchanged), %llu directories, %llu links, "
      "%s read, %s changed, %llu blocks uploaded, in %.1f s%s\n",
      source.c_str(), bo.tree_dir.c_str(),
      static_cast<unsigned long long>(r.files + r.unchanged + r.hard_links),
      static_cast<unsigned long long>(r.unchanged), static_cast<unsigned long long>(r.dirs),
      static_cast<unsigned long long>(r.symlinks), human_bytes(r.bytes_read).c_str(),
      human_bytes(r.bytes_written).c_str(), static_cast<unsigned long long>(up.uploaded_blocks),
      seconds_since(started), r.stopped ? "; stopped before the end: run it again to go on" : "");
  io.err(line);
  if (r.problems > 0)
    io.err("peerstore: " + std::to_string(r.problems) +
           " entries could not be stored (see above); the rest is backed up\n");
  if (r.stopped) return 130;
  return r.problems > 0 ? 1 : 0;
}

Result<int> run_getfile(const ClientOptions& o, const std::string& path, const std::string& dest,
                        const std::string& version, CommandIo& io) {
  PS_ASSIGN(auto session, ClientSession::open(o));
  PS_ASSIGN(TreeView view, tree_view(*session, version));
  std::string tree = tree_path_for(*view.fs, path);
  std::string warning;
  auto got = client::get_file(*view.fs, tree, dest, &warning);
  if (!got && got.code() == Errc::not_found)
    return fail(Errc::not_found, "no file " + path + " in your tree (nor a backup of it from " +
                                     this_host() + "); 'peerstore ls' shows what is there");
  if (!got) return got.error();
  if (!warning.empty()) io.err("peerstore: " + warning + "\n");
  io.err("got " + tree + view.label + " (" + human_bytes(*got) + ") into " + dest + "\n");
  return warning.empty() ? 0 : 1;
}

Result<int> run_restore(const ClientOptions& o, const std::string& path, const std::string& dest,
                        const std::string& version, CommandIo& io) {
  PS_ASSIGN(auto session, ClientSession::open(o));
  PS_ASSIGN(TreeView view, tree_view(*session, version));
  client::RestoreOptions ro;
  ro.tree_path = tree_path_for(*view.fs, path);
  ro.dest = dest;
  ro.stop = io.stop;
  ro.problem = [&](const std::string& line) { io.err("peerstore: " + line + "\n"); };
  auto started = Clock::now();
  if (io.progress)
    ro.progress = [&](uint64_t files, uint64_t bytes) {
      io.progress(std::to_string(files) + " files, " + human_bytes(bytes));
    };
  auto r = client::restore(*view.fs, ro);
  if (io.progress) io.progress("");
  if (!r && r.code() == Errc::not_found)
    return fail(Errc::not_found, "no " + path + " in your tree (nor a backup of it from " +
                                     this_host() + "); 'peerstore ls' shows what is there");
  if (!r) return r.error();
  char line[300];
  std::snprintf(line, sizeof line,
                "restored %s%s into %s: %llu files, %llu directories, %s, in %.1f s%s\n",
                ro.tree_path.c_str(), view.label.c_str(), dest.c_str(),
                static_cast<unsigned long long>(r->files + r->hard_links),
                static_cast<unsigned long long>(r->dirs), human_bytes(r->bytes).c_str(),
                seconds_since(started), r->stopped ? "; stopped before the end" : "");
  io.err(line);
  if (r->stopped) return 130;
  return r->problems > 0 ? 1 : 0;
}

Result<int> run_ls(const ClientOptions& o, const std::string& path, CommandIo& io) {
  PS_ASSIGN(auto session, ClientSession::open(o));
  FileSystem& fs = session->fs();
  std::string tree = path.empty() ? "/" : path;
  PS_ASSIGN(uint64_t ino, client::resolve(fs, tree));
  struct stat st {};
  if (int r = fs.getattr(ino, &st); r != 0) return client::fs_error(r, tree);
  std::vector<client::TreeEntry> entries;
  if (S_ISDIR(st.st_mode)) {
    PS_ASSIGN(entries, client::list_dir(fs, ino));
  } else {
    PS_ASSIGN(auto parts, client::split_tree_path(tree));
    entries.push_back(client::TreeEntry{parts.empty() ? "/" : parts.back(), st});
  }
  for (auto& e : entries) {
    std::string target;
    if (S_ISLNK(e.st.st_mode)) fs.readlink(e.st.st_ino, &target);
    io.out(client::ls_line(e, target) + "\n");
  }
  return 0;
}

namespace {

Result<int> fsck_versions(ClientSession& session, CommandIo& io) {
  PS_ASSIGN(auto volume, session.history_view());
  client::VersionsOptions vo;
  vo.policy = kept_policy(session);
  vo.now_ns = wall_clock_ns();
  vo.stop = io.stop;
  vo.found = [&](const client::VersionDamage& d) {
    io.out("damaged version " + version_time(d.time_ns) + " (" + d.head.short_hex() +
           "): " + d.error + "\n");
  };
  if (io.progress)
    vo.progress = [&](size_t checked, size_t of) {
      io.progress(std::to_string(checked) + "/" + std::to_string(of) + " versions");
    };
  auto started = Clock::now();
  client::VersionsReport r = client::check_versions(*volume, {}, vo);
  if (io.progress) io.progress("");
  char line[300];
  std::snprintf(
      line, sizeof line, "checked %zu of %zu versions (%llu blocks) in %.1f s: %s%s%s\n", r.checked,
      r.versions, static_cast<unsigned long long>(r.blocks), seconds_since(started),
      r.damaged.empty() ? "no damage" : (std::to_string(r.damaged.size()) + " damaged").c_str(),
      r.history_cut ? "; the history was too long to walk to its start" : "",
      r.stopped ? "; stopped before the end" : "");
  io.err(line);
  if (r.stopped) return 130;
  return r.damaged.empty() ? 0 : 1;
}

}  // namespace

Result<int> run_fsck(const ClientOptions& o, const std::string& path, bool versions,
                     CommandIo& io) {
  if (versions && !path.empty())
    return fail(Errc::invalid, "fsck --versions checks the whole tree: give no PATH");
  PS_ASSIGN(auto session, ClientSession::open(o));
  if (versions) return fsck_versions(*session, io);
  client::CheckOptions co;
  co.tree_path = path.empty() ? "/" : path;
  co.stop = io.stop;
  co.found = [&](const client::Damage& d) { io.out("damaged: " + d.path + ": " + d.error + "\n"); };
  if (io.progress)
    co.progress = [&](const client::CheckCounts& c) {
      io.progress(std::to_string(c.files) + " files, " + human_bytes(c.bytes));
    };
  auto started = Clock::now();
  auto r = client::check_tree(session->fs(), co);
  if (io.progress) io.progress("");
  if (!r && r.code() == Errc::not_found)
    return fail(Errc::not_found,
                "no " + co.tree_path + " in your tree; 'peerstore ls' shows what is there");
  if (!r) return r.error();
  const client::CheckCounts& c = r->counts;
  char line[400];
  std::snprintf(
      line, sizeof line,
      "checked %s: %llu directories, %llu files (%s), %llu symbolic links in %.1f s: %s%s\n",
      co.tree_path.c_str(), static_cast<unsigned long long>(c.dirs),
      static_cast<unsigned long long>(c.files), human_bytes(c.bytes).c_str(),
      static_cast<unsigned long long>(c.symlinks), seconds_since(started),
      r->damaged.empty() ? "no damage" : (std::to_string(r->damaged.size()) + " damaged").c_str(),
      r->stopped ? "; stopped before the end" : "");
  io.err(line);
  if (r->stopped) return 130;
  return r->damaged.empty() ? 0 : 1;
}

Result<int> run_snapshots(const ClientOptions& o, CommandIo& io) {
  PS_ASSIGN(auto session, ClientSession::open(o));
  PS_ASSIGN(auto kept, kept_versions(*session));
  const client::RetainedHistory& h = kept.history;
  for (const client::NamedVersion& v : kept.named) {
    Id256 hash = v.head.hash();
    std::string line = v.name + "  " + hash.short_hex();
    if (v.pin) {
      line += "  pinned " + version_time(v.pin->pinned_ns) + ", of " + version_time(v.head.time_ns);
      if (!v.pin->note.empty()) line += ": " + v.pin->note;
    }
    if (hash == kept.current) line += "  current";
    io.out(line + "\n");
  }
  for (auto& m : h.missing)
    io.err("peerstore: a version cannot be read (" + m.head.short_hex() + "): " + m.error + "\n");
  io.err(std::to_string(h.heads.size()) + " versions kept of " + std::to_string(h.versions) +
         " in the history" +
         (h.pins.empty() ? "" : ", " + std::to_string(h.pins.size()) + " pinned") +
         (h.history_cut ? " (too long to walk to its start)" : "") + "\n");
  return h.missing.empty() ? 0 : 1;
}

Result<int> run_pin(const ClientOptions& o, const std::string& name, const std::string& version,
                    const std::string& note, CommandIo& io) {
  PS_TRY(check_pin_name(name));
  ClientOptions writer = o;
  writer.writes = true;
  PS_ASSIGN(auto session, ClientSession::open(writer));
  PS_ASSIGN(auto kept, kept_versions(*session));
  std::optional<client::NamedVersion> found;
  std::string prefix = version;
  for (auto& c : prefix) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (const client::NamedVersion& v : kept.named)
    if (version.empty() ? v.head.hash() == kept.current
                        : v.name == version ||
                              (prefix.size() >= 6 && v.head.hash().hex().rfind(prefix, 0) == 0))
      found = v;
  if (!found && version.empty())
    return fail(Errc::not_found, "your tree has no version yet: change something first");
  if (!found)
    return fail(Errc::not_found,
                "no version " + version + " of your tree; 'peerstore snapshots' lists them");
  Pin pin{name, found->head.hash(), wall_clock_ns(), note.substr(0, kMaxPinNote)};
  if (int e = add_pin(session->fs(), pin)) {
    if (e == EEXIST)
      return fail(Errc::exists, "a snapshot is pinned as " + name +
                                    " already; unpin it first ('peerstore snapshots unpin " + name +
                                    "') or choose another name");
    if (e == ENOSPC)
      return fail(Errc::no_space,
                  "already " + std::to_string(kMaxPins) + " pinned snapshots; unpin one first");
    return fail(Errc::io, "cannot pin: " + std::string(std::strerror(e)));
  }
  PS_TRY(session->finish(kUploadTimeout));
  io.err("pinned " + found->name + " (" + found->head.hash().short_hex() + ") as " + name +
         "; every mount of yours shows it as .snapshots/" + name + "\n");
  return 0;
}

Result<int> run_unpin(const ClientOptions& o, const std::string& name, CommandIo& io) {
  ClientOptions writer = o;
  writer.writes = true;
  PS_ASSIGN(auto session, ClientSession::open(writer));
  if (int e = remove_pin(session->fs(), name)) {
    if (e == ENOENT)
      return fail(Errc::not_found,
                  "no snapshot is pinned as " + name + "; 'peerstore snapshots' lists them");
    return fail(Errc::io, "cannot unpin: " + std::string(std::strerror(e)));
  }
  PS_TRY(session->finish(kUploadTimeout));
  io.err("unpinned " + name + "; retention decides from now on whether that version is kept\n");
  return 0;
}

}  // namespace peerstore::host
