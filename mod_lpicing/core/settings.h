// mod_lpicing's directives as values: what one server (the main server or a
// virtual host) sets, how a virtual host inherits what it does not set, and
// the defaults, once. No httpd types: strings belong to the caller (httpd's
// configuration pool), so the adapter's server config can hold this as is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace lpicing {

// "Not set by any directive" for the numeric fields.
inline constexpr int kUnsetSetting = -1;

inline constexpr const char kDefaultPrefix[] = "/+icing";      // LPIcingPrefix
inline constexpr int kDefaultCurrentMaxAge = 300;              // LPIcingCurrentMaxAge, seconds
inline constexpr int kDefaultIngestTimeout = 600;              // LPIcingIngestTimeout, seconds
inline constexpr int kDefaultQuickHandler = 1;                 // LPIcingQuickHandler On

struct Settings {
  const char* store;                  // LPIcingStore; null: the module is inactive for this server
  const char* prefix;                 // LPIcingPrefix, without a trailing slash
  int current_max_age;                // LPIcingCurrentMaxAge
  const char* incoming;               // LPIcingIncoming
  const char* trusted_key;            // LPIcingTrustedKey: the file, for messages
  const char* trusted_key_pem;        // its contents, read once at configuration time
  int keep;                           // LPIcingKeep
  const char* tool;                   // LPIcingTool
  const char* user;                   // LPIcingUser USER
  const char* group;                  // its optional GROUP; null: the user's primary group
  int ingest_timeout;                 // LPIcingIngestTimeout
  std::int64_t max_entries;           // LPIcingMaxEntries; unset after defaults: the tool's own
  std::int64_t max_bytes;             // LPIcingMaxBytes; likewise
  const char* max_ratio;              // LPIcingMaxRatio as written (checked); null: the tool's own
  int quick;                          // LPIcingQuickHandler, 0 or 1
  int combo_max_files;                // LPIcingComboMaxFiles
  std::int64_t combo_max_bytes;       // LPIcingComboMaxBytes
  std::int64_t combo_cache_bytes;     // LPIcingComboCacheBytes; 0: no cache
  int combo_compressors;              // LPIcingComboCompressors
};

// Every field unset (null or kUnsetSetting): a server before its directives.
Settings unset_settings();

// A virtual host's settings: each field `over` sets, else `base`'s. A key
// and its contents, and a user and its group, are inherited together.
Settings merge_settings(const Settings& base, const Settings& over);

// Fills every field still unset with its default; `tool` is the build's
// lpicing path. The ingest limits stay unset: the tool applies its own.
void apply_defaults(Settings* s, const char* tool);

// The first setting a drop directory's job takes from its server that differs
// between `a` and `b`, as "DIRECTIVE (A / B)"; empty when none does. One drop
// directory has one store, key, user and set of limits.
std::string first_drop_difference(const Settings& a, const Settings& b);

// Sets the field of a numeric directive (LPIcingKeep, LPIcingComboMaxBytes,
// LPIcingMaxRatio, ...) from its argument, as written in the configuration.
// The error says what the value must be ("is not a number of seconds from 1
// to 86400"); the adapter names the directive and the value. LPIcingMaxRatio
// keeps `arg` itself (the caller's string, as the other text fields), so
// `arg` must live as long as the settings. Any other name is refused.
lpweb::Status set_numeric_directive(Settings* s, std::string_view directive, const char* arg);

// "4194304", "4096K", "4M", "1G" (binary multiples) → bytes; nothing when
// malformed or above `max`. For the byte-valued directives.
std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::uint64_t max) noexcept;

}  // namespace lpicing
