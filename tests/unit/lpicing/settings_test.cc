// Tests of lpicing::Settings: a virtual host inherits, field by field, every
// directive it does not set; defaults fill only what nothing set; a drop
// directory's job names the first setting two servers disagree on.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "combo.h"
#include "compressor_slots.h"
#include "ingest.h"
#include "settings.h"

namespace {

using lpicing::parse_byte_size;
using lpicing::set_numeric_directive;
using lpicing::Settings;
using lpicing::unset_settings;

// A server that sets every directive, each to a value no other server uses.
Settings every_field_set(const char* tag, int n) {
  Settings s = lpicing::unset_settings();
  s.store = tag;
  s.prefix = tag;
  s.current_max_age = n + 1;
  s.incoming = tag;
  s.trusted_key = tag;
  s.trusted_key_pem = tag;
  s.keep = n + 2;
  s.tool = tag;
  s.user = tag;
  s.group = tag;
  s.ingest_timeout = n + 3;
  s.max_entries = n + 4;
  s.max_bytes = n + 5;
  s.max_ratio = tag;
  s.quick = n % 2;
  s.combo_max_files = n + 6;
  s.combo_max_bytes = n + 7;
  s.combo_cache_bytes = n + 8;
  s.combo_compressors = n + 9;
  return s;
}

// Every field of `s`, as text, so that one comparison covers them all.
std::string fields(const Settings& s) {
  auto t = [](const char* p) { return std::string(p ? p : "(null)"); };
  std::string out;
  for (const char* p : {s.store, s.prefix, s.incoming, s.trusted_key, s.trusted_key_pem, s.tool, s.user, s.group,
                        s.max_ratio})
    out += t(p) + "|";
  for (std::int64_t v : {std::int64_t{s.current_max_age}, std::int64_t{s.keep}, std::int64_t{s.ingest_timeout},
                         s.max_entries, s.max_bytes, std::int64_t{s.quick}, std::int64_t{s.combo_max_files},
                         s.combo_max_bytes, s.combo_cache_bytes, std::int64_t{s.combo_compressors}})
    out += std::to_string(v) + "|";
  return out;
}

TEST(Settings, UnsetVirtualHostInheritsEveryFieldOfTheMainServer) {
  Settings main = every_field_set("main", 100);
  EXPECT_EQ(fields(lpicing::merge_settings(main, lpicing::unset_settings())), fields(main));
}

TEST(Settings, VirtualHostThatSetsEveryFieldKeepsItsOwn) {
  Settings main = every_field_set("main", 100);
  Settings vhost = every_field_set("vhost", 201);
  EXPECT_EQ(fields(lpicing::merge_settings(main, vhost)), fields(vhost));
}

TEST(Settings, EachFieldIsInheritedOnItsOwn) {
  Settings main = every_field_set("main", 100);
  Settings vhost = lpicing::unset_settings();
  vhost.prefix = "/v";
  vhost.combo_max_bytes = 7;
  vhost.quick = 0;
  Settings merged = lpicing::merge_settings(main, vhost);
  Settings expected = main;
  expected.prefix = "/v";
  expected.combo_max_bytes = 7;
  expected.quick = 0;
  EXPECT_EQ(fields(merged), fields(expected));
}

TEST(Settings, KeyAndItsContentsAndUserAndItsGroupAreInheritedTogether) {
  Settings main = every_field_set("main", 100);
  Settings vhost = lpicing::unset_settings();
  vhost.trusted_key = "vhost.pem";
  vhost.trusted_key_pem = nullptr;  // a key file read as empty must not take the main server's contents
  vhost.user = "deploy";            // no group: the user's primary group, not the main server's group
  Settings merged = lpicing::merge_settings(main, vhost);
  EXPECT_STREQ(merged.trusted_key, "vhost.pem");
  EXPECT_EQ(merged.trusted_key_pem, nullptr);
  EXPECT_STREQ(merged.user, "deploy");
  EXPECT_EQ(merged.group, nullptr);
}

TEST(Settings, DefaultsFillOnlyWhatNothingSet) {
  Settings s = lpicing::unset_settings();
  lpicing::apply_defaults(&s, "/usr/bin/lpicing");
  EXPECT_STREQ(s.prefix, "/+icing");
  EXPECT_STREQ(s.tool, "/usr/bin/lpicing");
  EXPECT_EQ(s.current_max_age, 300);
  EXPECT_EQ(s.keep, static_cast<int>(lpicing::kDefaultIngestKeep));
  EXPECT_EQ(s.ingest_timeout, 600);
  EXPECT_EQ(s.quick, 1);
  EXPECT_EQ(s.combo_max_files, static_cast<int>(lpicing::kComboDefaultMaxFiles));
  EXPECT_EQ(s.combo_max_bytes, std::int64_t{1} << 20);
  EXPECT_EQ(s.combo_cache_bytes, std::int64_t{8} << 20);
  EXPECT_EQ(s.combo_compressors, static_cast<int>(lpicing::kComboDefaultCompressors));
  // The ingest limits stay the tool's own, and nothing invents a store.
  EXPECT_EQ(s.max_entries, lpicing::kUnsetSetting);
  EXPECT_EQ(s.max_bytes, lpicing::kUnsetSetting);
  EXPECT_EQ(s.max_ratio, nullptr);
  EXPECT_EQ(s.store, nullptr);

  Settings set = every_field_set("x", 10);
  Settings before = set;
  lpicing::apply_defaults(&set, "/usr/bin/lpicing");
  EXPECT_EQ(fields(set), fields(before));
  Settings zero = lpicing::unset_settings();  // 0 is a value, not "unset"
  zero.current_max_age = zero.combo_cache_bytes = zero.quick = zero.combo_compressors = 0;
  lpicing::apply_defaults(&zero, "/t");
  EXPECT_EQ(zero.current_max_age, 0);
  EXPECT_EQ(zero.combo_cache_bytes, 0);
  EXPECT_EQ(zero.quick, 0);
  EXPECT_EQ(zero.combo_compressors, 0);
}

TEST(Settings, DropDirectoryJobNamesTheFirstDifference) {
  Settings a = every_field_set("a", 1);
  EXPECT_EQ(lpicing::first_drop_difference(a, a), "");
  Settings b = a;
  b.prefix = "/other";  // not a drop directory setting
  b.combo_max_files = 99;
  EXPECT_EQ(lpicing::first_drop_difference(a, b), "");
  b.trusted_key = "b.pem";
  b.trusted_key_pem = "other key";
  EXPECT_EQ(lpicing::first_drop_difference(a, b), "LPIcingTrustedKey (a / b.pem)");
  b = a;
  b.trusted_key_pem = nullptr;
  b.trusted_key = nullptr;
  EXPECT_EQ(lpicing::first_drop_difference(a, b), "LPIcingTrustedKey (a / none)");
  b = a;
  b.max_bytes = 12;
  EXPECT_EQ(lpicing::first_drop_difference(a, b), "LPIcingMaxBytes (6 / 12)");
  b.store = "s2";
  EXPECT_EQ(lpicing::first_drop_difference(a, b), "LPIcingStore (a / s2)");
}

TEST(ParseByteSize, UnitsAndBounds) {
  using Bytes = std::optional<std::uint64_t>;
  EXPECT_EQ(parse_byte_size("4194304", 1ull << 30), Bytes(4194304u));
  EXPECT_EQ(parse_byte_size("4M", 1ull << 30), Bytes(4u << 20));
  EXPECT_EQ(parse_byte_size("512k", 1ull << 30), Bytes(512u << 10));
  EXPECT_EQ(parse_byte_size("1G", 1ull << 30), Bytes(1u << 30));
  EXPECT_EQ(parse_byte_size("0", 1ull << 30), Bytes(0u));
  for (std::string_view bad : {"", "M", "-1", "1.5M", "2G", "1T", "4 M", "99999999999999999999", "0x10"})
    EXPECT_FALSE(parse_byte_size(bad, 1ull << 30)) << bad;
}

// Every numeric directive through the one table: its range, its words, its field.
TEST(NumericDirectives, EachSetsItsFieldWithinItsRange) {
  Settings s = unset_settings();
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingKeep", "7"));
  EXPECT_EQ(s.keep, 7);
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingComboMaxBytes", "2M"));
  EXPECT_EQ(s.combo_max_bytes, 2 << 20);
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingComboCacheBytes", "0"));
  EXPECT_EQ(s.combo_cache_bytes, 0);
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingMaxBytes", "1024G"));
  EXPECT_EQ(s.max_bytes, std::int64_t{1} << 40);
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingMaxRatio", "2.5"));
  EXPECT_STREQ(s.max_ratio, "2.5");
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingCurrentMaxAge", "0"));
  EXPECT_EQ(s.current_max_age, 0);

  lpweb::Status bad = set_numeric_directive(&s, "LPIcingKeep", "0");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "is not a number of revisions of at least 1");
  EXPECT_EQ(s.keep, 7) << "a refused value changes nothing";
  EXPECT_FALSE(set_numeric_directive(&s, "LPIcingComboMaxBytes", "0"));
  EXPECT_FALSE(set_numeric_directive(&s, "LPIcingComboCompressors", "257"));
  EXPECT_FALSE(set_numeric_directive(&s, "LPIcingIngestTimeout", "86401"));
  EXPECT_FALSE(set_numeric_directive(&s, "LPIcingMaxRatio", "0.5"));
  EXPECT_FALSE(set_numeric_directive(&s, "LPIcingMaxEntries", "12x"));
  ASSERT_TRUE(set_numeric_directive(&s, "LPIcingComboMaxFiles", "10000"));
  EXPECT_EQ(s.combo_max_files, 10000);
  EXPECT_FALSE(set_numeric_directive(&s, "LPIcingStore", "1")) << "not a numeric directive";
}

}  // namespace
