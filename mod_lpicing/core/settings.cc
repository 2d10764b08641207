// mod_lpicing's directives as values: inheritance and defaults.
#include "settings.h"

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

}  // namespace lpicing
