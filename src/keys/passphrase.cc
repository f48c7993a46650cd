#include "keys/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace peerstore {
namespace {

Result<Secret> from_env(const char* name, const char* value) {
  size_t n = std::strlen(value);
  if (n > kMaxPassphrase)
    return fail(Errc::invalid,
                std::string(name) + " is longer than " + std::to_string(kMaxPassphrase) + " bytes");
  return Secret({reinterpret_cast<const uint8_t*>(value), n});
}

// The terminal with echo off while alive; the old settings come back whatever happens.
class QuietTerminal {
 public:
  explicit QuietTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    quiet.c_lflag |= ECHONL;  // the user still sees their Enter
    restore_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~QuietTerminal() {
    if (restore_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  QuietTerminal(const QuietTerminal&) = delete;
  QuietTerminal& operator=(const QuietTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool restore_ = false;
};

}  // namespace

std::string passphrase_needed_message(const std::string& kind, const std::string& path) {
  return kind + " key " + path + " is protected by a passphrase; set " + kPassphraseEnv +
         " or run from a terminal";
}

Result<Secret> read_passphrase_from_terminal(const std::string& prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::unavailable, "no terminal to ask for a passphrase on");
  Secret line(kMaxPassphrase + 1);
  size_t n = 0;
  bool ended = false, too_long = false;
  {
    QuietTerminal quiet(fd);
    (void)!::write(fd, prompt.data(), prompt.size());
    for (;;) {
      char c;
      ssize_t r = ::read(fd, &c, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      if (c == '\n') {
        ended = true;
        break;
      }
      if (n < kMaxPassphrase) {
        line.data()[n++] = uint8_t(c);
      } else {
        too_long = true;  // read on to the end of the line so nothing is left for the shell
      }
    }
  }
  ::close(fd);
  if (too_long)
    return fail(Errc::invalid,
                "the passphrase is longer than " + std::to_string(kMaxPassphrase) + " bytes");
  if (!ended && n == 0) return fail(Errc::invalid, "no passphrase given");
  if (n > 0 && line.data()[n - 1] == '\r') --n;
  return Secret({line.data(), n});
}

PassphraseSource passphrase_for_key(const std::string& kind, const std::string& path) {
  return [kind, path]() -> Result<Secret> {
    if (const char* env = std::getenv(kPassphraseEnv)) return from_env(kPassphraseEnv, env);
    auto typed = read_passphrase_from_terminal("Passphrase for " + kind + " key " + path + ": ");
    if (!typed && typed.code() == Errc::unavailable)
      return fail(Errc::permission, passphrase_needed_message(kind, path));
    return typed;
  };
}

Result<Secret> new_passphrase_for_key(const std::string& path) {
  auto empty = [] {
    return fail(Errc::invalid,
                "an empty passphrase protects nothing; to remove the passphrase, "
                "use 'peerstore passwd --remove'");
  };
  if (const char* env = std::getenv(kNewPassphraseEnv)) {
    PS_ASSIGN(Secret p, from_env(kNewPassphraseEnv, env));
    if (p.empty()) return empty();
    return p;
  }
  auto first = read_passphrase_from_terminal("New passphrase for " + path + ": ");
  if (!first && first.code() == Errc::unavailable)
    return fail(Errc::invalid, std::string("no terminal to ask for the new passphrase on; set ") +
                                   kNewPassphraseEnv);
  if (!first) return first.error();
  if (first->empty()) return empty();
  PS_ASSIGN(Secret again, read_passphrase_from_terminal("Repeat the new passphrase: "));
  if (!(again == *first)) return fail(Errc::invalid, "the two passphrases differ; nothing changed");
  return std::move(*first);
}

}  // namespace peerstore
