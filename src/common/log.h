// Logging: one line per event, to stderr or syslog. Thread-safe.
//
// The sink is the one process-wide setting in PeerStore (like LevelDB's Env default logger):
// main() picks stderr or syslog and the level once at start-up; everything else only writes.
// Never pass key material to these functions.
#pragma once

#include <string>

namespace peerstore::log {

enum class Level { debug = 0, info, warn, error };

void set_level(Level level);
void use_syslog(const char* ident);  // after daemonizing
bool enabled(Level level);
void write(Level level, const std::string& line);

inline void debug(const std::string& s) { if (enabled(Level::debug)) write(Level::debug, s); }
inline void info(const std::string& s) { write(Level::info, s); }
inline void warn(const std::string& s) { write(Level::warn, s); }
inline void error(const std::string& s) { write(Level::error, s); }

}  // namespace peerstore::log
