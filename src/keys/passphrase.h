// Where a passphrase comes from: an environment variable for scripts, otherwise a prompt on the
// controlling terminal with echo off, otherwise an error that says what to do. Passphrases are
// held in Secret and capped in length. Stateless functions; the terminal is used by one caller
// at a time (call them from the main thread, before any daemonizing fork).
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"
#include "keys/key_file.h"

namespace peerstore {

constexpr char kPassphraseEnv[] = "PEERSTORE_PASSPHRASE";
constexpr char kNewPassphraseEnv[] = "PEERSTORE_NEW_PASSPHRASE";
constexpr size_t kMaxPassphrase = 1024;

// "KIND key PATH is protected by a passphrase; set PEERSTORE_PASSPHRASE or run from a terminal".
std::string passphrase_needed_message(const std::string& kind, const std::string& path);

// The passphrase that unlocks the KIND key at `path`: $PEERSTORE_PASSPHRASE, or asked once on
// the terminal.
PassphraseSource passphrase_for_key(const std::string& kind, const std::string& path);

// A new passphrase for `path`: $PEERSTORE_NEW_PASSPHRASE, or asked twice on the terminal (the
// two must match). Never empty.
Result<Secret> new_passphrase_for_key(const std::string& path);

// One line from /dev/tty after printing `prompt` there, with echo off; Errc::unavailable if the
// process has no terminal.
Result<Secret> read_passphrase_from_terminal(const std::string& prompt);

}  // namespace peerstore
