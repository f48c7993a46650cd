// peerstore-share: sharing folders with other users (docs/sharing.md). `whoami` prints the
// user's id, the token others grant to; `grant` shares a folder of a running mount; `list`
// shows what is shared both ways; `revoke` takes a user's access away (new keys for the
// folder); `leave` stops showing a share.
// Wiring only: src/host/share_commands.h does the work.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "host/data_dir_layout.h"
#include "host/share_commands.h"
#include "host/user_message.h"

using namespace peerstore;

int main(int argc, char** argv) {
  CLI::App app{"peerstore-share: share folders of your PeerStore with other users"};
  app.require_subcommand(1);
  std::string config;
  auto* who = app.add_subcommand(
      "whoami", "Print your user id (its last line): give it to people who share with you");
  who->add_option("--config", config, "Identity directory (default ~/.config/peerstore)");
  std::string path, user;
  bool write = false;
  auto* grant = app.add_subcommand(
      "grant", "Share the folder PATH of your running mount with USER (their user id)");
  grant->add_option("PATH", path, "A folder inside your PeerStore mount")->required();
  grant->add_option("USER", user, "Their user id (from 'peerstore-share whoami')")->required();
  grant->add_flag("--write", write, "Let them change it too (default: read only)");
  std::string revoked_path, revoked_user;
  auto* revoke = app.add_subcommand(
      "revoke",
      "Take USER's access to the folder PATH away: new keys for it, new grants for the others, "
      "and a report of what USER could read until now");
  revoke->add_option("PATH", revoked_path, "A folder you share")->required();
  revoke->add_option("USER", revoked_user, "Their user id")->required();
  std::string leaving;
  auto* leave = app.add_subcommand(
      "leave", "Stop seeing a folder shared with you (PATH: under shared/ in your mount)");
  leave->add_option("PATH", leaving, "The shared folder")->required();
  std::string named_user, given;
  auto* name = app.add_subcommand(
      "name", "Show USER's shares under shared/NAME (default: a short form of their id)");
  name->add_option("USER", named_user, "Their user id")->required();
  name->add_option("NAME", given, "The name to show")->required();
  std::string where = ".";
  auto* list = app.add_subcommand(
      "list", "Show the folders you share and those shared with you (in the mount of PATH)");
  list->add_option("PATH", where, "Any path in your PeerStore mount (default: here)");
  name->add_option("--mount", where, "A path in your PeerStore mount (default: here)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore-share: %s; see 'peerstore-share --help'\n", e.what());
    return 2;
  }
  // Each command returns what to print, or an error with a message for people.
  auto report = [](const Result<std::string>& r, const char* before = "") {
    if (!r) {
      std::fprintf(stderr, "peerstore-share: %s\n", host::user_message(r.error()).c_str());
      return 1;
    }
    std::printf("%s%s\n", before, r->c_str());
    return 0;
  };
  if (grant->parsed()) return report(host::grant(path, user, write));
  if (revoke->parsed()) return report(host::revoke(revoked_path, revoked_user));
  if (leave->parsed()) return report(host::leave(leaving));
  if (list->parsed()) return report(host::list(where));
  if (name->parsed()) return report(host::name(named_user, given, where));
  return report(host::whoami(host::DataDirLayout({}, config)),
                "Your PeerStore user id (people who share a folder with you need it):\n");
}
