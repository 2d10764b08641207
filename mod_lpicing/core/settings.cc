// mod_lpicing's directives as values: inheritance and defaults.
#include "settings.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "combo.h"
#include "compressor_slots.h"
#include "ingest.h"

namespace lpicing {

namespace {

template <typename T>
T pick(T over, T base) {
  return over != static_cast<T>(kUnsetSetting) ? over : base;
}

const char* pick(const char* over, const char* base) { return over ? over : base; }

template <typename T>
void fill(T* field, T value) {
  if (*field == static_cast<T>(kUnsetSetting)) *field = value;
}

bool same(const char* a, const char* b) { return (!a && !b) || (a && b && std::strcmp(a, b) == 0); }

}  // namespace

Settings unset_settings() {
  Settings s{};
  s.current_max_age = s.keep = s.ingest_timeout = s.quick = kUnsetSetting;
  s.combo_max_files = s.combo_compressors = kUnsetSetting;
  s.max_entries = s.max_bytes = s.combo_max_bytes = s.combo_cache_bytes = kUnsetSetting;
  return s;
}

Settings merge_settings(const Settings& base, const Settings& over) {
  Settings s;
  s.store = pick(over.store, base.store);
  s.prefix = pick(over.prefix, base.prefix);
  s.current_max_age = pick(over.current_max_age, base.current_max_age);
  s.incoming = pick(over.incoming, base.incoming);
  s.trusted_key = pick(over.trusted_key, base.trusted_key);
  s.trusted_key_pem = over.trusted_key ? over.trusted_key_pem : base.trusted_key_pem;
  s.keep = pick(over.keep, base.keep);
  s.tool = pick(over.tool, base.tool);
  s.user = pick(over.user, base.user);
  s.group = over.user ? over.group : base.group;
  s.ingest_timeout = pick(over.ingest_timeout, base.ingest_timeout);
  s.max_entries = pick(over.max_entries, base.max_entries);
  s.max_bytes = pick(over.max_bytes, base.max_bytes);
  s.max_ratio = pick(over.max_ratio, base.max_ratio);
  s.quick = pick(over.quick, base.quick);
  s.combo_max_files = pick(over.combo_max_files, base.combo_max_files);
  s.combo_max_bytes = pick(over.combo_max_bytes, base.combo_max_bytes);
  s.combo_cache_bytes = pick(over.combo_cache_bytes, base.combo_cache_bytes);
  s.combo_compressors = pick(over.combo_compressors, base.combo_compressors);
  return s;
}

void apply_defaults(Settings* s, const char* tool) {
  if (!s->prefix) s->prefix = kDefaultPrefix;
  if (!s->tool) s->tool = tool;
  fill(&s->current_max_age, kDefaultCurrentMaxAge);
  fill(&s->keep, static_cast<int>(kDefaultIngestKeep));
  fill(&s->ingest_timeout, kDefaultIngestTimeout);
  fill(&s->quick, kDefaultQuickHandler);
  fill(&s->combo_max_files, static_cast<int>(kComboDefaultMaxFiles));
  fill(&s->combo_max_bytes, static_cast<std::int64_t>(kComboDefaultMaxBytes));
  fill(&s->combo_cache_bytes, static_cast<std::int64_t>(kComboDefaultCacheBytes));
  fill(&s->combo_compressors, static_cast<int>(kComboDefaultCompressors));
}

std::string first_drop_difference(const Settings& a, const Settings& b) {
  auto text = [](const char* s) { return std::string(s ? s : "none"); };
  auto pair = [&](const char* name, const char* x, const char* y) {
    return std::string(name) + " (" + text(x) + " / " + text(y) + ")";
  };
  auto num = [](const char* name, std::int64_t x, std::int64_t y) {
    return std::string(name) + " (" + std::to_string(x) + " / " + std::to_string(y) + ")";
  };
  if (!same(a.store, b.store)) return pair("LPIcingStore", a.store, b.store);
  if (!same(a.trusted_key_pem, b.trusted_key_pem)) return pair("LPIcingTrustedKey", a.trusted_key, b.trusted_key);
  if (!same(a.user, b.user) || !same(a.group, b.group)) return pair("LPIcingUser", a.user, b.user);
  if (!same(a.tool, b.tool)) return pair("LPIcingTool", a.tool, b.tool);
  if (a.keep != b.keep) return num("LPIcingKeep", a.keep, b.keep);
  if (a.ingest_timeout != b.ingest_timeout) return num("LPIcingIngestTimeout", a.ingest_timeout, b.ingest_timeout);
  if (a.max_entries != b.max_entries) return num("LPIcingMaxEntries", a.max_entries, b.max_entries);
  if (a.max_bytes != b.max_bytes) return num("LPIcingMaxBytes", a.max_bytes, b.max_bytes);
  if (!same(a.max_ratio, b.max_ratio)) return pair("LPIcingMaxRatio", a.max_ratio, b.max_ratio);
  return "";
}

namespace {

// One numeric directive: its range, how its value is written (a count, or a
// size with K, M or G), the words that say so, and where it goes.
struct NumericDirective {
  const char* name;
  bool size;
  std::int64_t min, max;
  const char* must_be;
  void (*store)(Settings&, std::int64_t);
};

constexpr std::int64_t kG = std::int64_t{1} << 30;

const NumericDirective kNumericDirectives[] = {
    {"LPIcingCurrentMaxAge", false, 0, 31536000, "is not a number of seconds from 0 to 31536000",
     [](Settings& s, std::int64_t v) { s.current_max_age = static_cast<int>(v); }},
    {"LPIcingKeep", false, 1, 100000, "is not a number of revisions of at least 1",
     [](Settings& s, std::int64_t v) { s.keep = static_cast<int>(v); }},
    {"LPIcingComboMaxFiles", false, 1, 10000, "is not a number of files from 1 to 10000",
     [](Settings& s, std::int64_t v) { s.combo_max_files = static_cast<int>(v); }},
    {"LPIcingComboMaxBytes", true, 1, kG, "is not a size from 1 to 1G (bytes, or with K, M or G)",
     [](Settings& s, std::int64_t v) { s.combo_max_bytes = v; }},
    {"LPIcingComboCacheBytes", true, 0, kG, "is not a size from 0 (no cache) to 1G (bytes, or with K, M or G)",
     [](Settings& s, std::int64_t v) { s.combo_cache_bytes = v; }},
    {"LPIcingComboCompressors", false, 0, kComboMaxCompressors,
     "is not a number of compressions from 0 (never compress) to 256",
     [](Settings& s, std::int64_t v) { s.combo_compressors = static_cast<int>(v); }},
    {"LPIcingIngestTimeout", false, 1, 86400, "is not a number of seconds from 1 to 86400",
     [](Settings& s, std::int64_t v) { s.ingest_timeout = static_cast<int>(v); }},
    {"LPIcingMaxEntries", false, 1, 100000000, "is not a number of entries from 1 to 100000000",
     [](Settings& s, std::int64_t v) { s.max_entries = v; }},
    {"LPIcingMaxBytes", true, 1, kG * 1024, "is not a size from 1 to 1024G (bytes, or with K, M or G)",
     [](Settings& s, std::int64_t v) { s.max_bytes = v; }},
};
static_assert(kComboMaxCompressors == 256, "LPIcingComboCompressors' message names the limit");

constexpr char kMaxRatio[] = "LPIcingMaxRatio";

const NumericDirective* find_numeric(std::string_view name) {
  for (const NumericDirective& d : kNumericDirectives)
    if (name == d.name) return &d;
  return nullptr;
}

// A decimal count as strtol reads it, within [min, max].
std::optional<std::int64_t> parse_count(const char* text, std::int64_t min, std::int64_t max) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno || end == text || *end || v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace

lpweb::Status set_numeric_directive(Settings* s, std::string_view directive, const char* arg) {
  if (directive == kMaxRatio) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= 1) || v > 1e6) return lpweb::rejected("is not a ratio from 1 to 1000000");
    s->max_ratio = arg;
    return {};
  }
  const NumericDirective* d = find_numeric(directive);
  if (!d) return lpweb::rejected("is not a numeric directive");
  std::optional<std::int64_t> value;
  if (!d->size) {
    value = parse_count(arg, d->min, d->max);
  } else if (std::optional<std::uint64_t> bytes = parse_byte_size(arg, static_cast<std::uint64_t>(d->max))) {
    if (*bytes >= static_cast<std::uint64_t>(d->min)) value = static_cast<std::int64_t>(*bytes);
  }
  if (!value) return lpweb::rejected(d->must_be);
  d->store(*s, *value);
  return {};
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::uint64_t max) noexcept {
  if (text.empty()) return std::nullopt;
  unsigned shift = 0;
  switch (text.back()) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    default: break;
  }
  if (shift) text.remove_suffix(1);
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > (max >> shift)) return std::nullopt;
  return value << shift;
}

}  // namespace lpicing
