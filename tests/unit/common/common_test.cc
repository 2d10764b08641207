// Unit tests of the common layer: the JSON writer, hex helpers and the LRU map.
#include <gtest/gtest.h>

#include <string>

#include "hex.h"
#include "json_writer.h"
#include "lru.h"

namespace lpweb {
namespace {

TEST(JsonWriter, NestsAndSeparates) {
  JsonWriter w;
  w.begin_object().member("a", 1).key("b").begin_array().value("x").null().value(true).end_array();
  w.key("c").begin_object().end_object().member("d", std::uint64_t{18446744073709551615u}).end_object();
  EXPECT_EQ(w.finish(), "{\"a\": 1, \"b\": [\"x\", null, true], \"c\": {}, \"d\": 18446744073709551615}\n");
}

TEST(JsonWriter, WritesFixedDecimalsAndNullForWhatJsonCannotHold) {
  JsonWriter w;
  w.begin_array().fixed(1.5, 3).fixed(0.0004, 3).fixed(-2, 0).fixed(0.0 / 0.0, 3).fixed(1e308 * 10, 3).end_array();
  EXPECT_EQ(w.finish(), "[1.500, 0.000, -2, null, null]\n");
}

TEST(JsonWriter, EscapesWhateverBytesAStringHolds) {
  std::string out;
  append_json_string(out, std::string("q\"b\\n\n\x01\x7f\xff\xc3\xa9", 11));
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\u000a\\u0001\\u007f\\ufffd\xc3\xa9\"");
  out.clear();
  append_json_string(out, "\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf");  // a surrogate, above U+10FFFF, overlong
  EXPECT_EQ(out, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xc3"));
}

TEST(Hex, RoundTripsLowerCaseAndRefusesJunk) {
  const std::uint8_t bytes[] = {0x00, 0x7f, 0xab, 0xff};
  std::string hex;
  append_hex(hex, bytes, sizeof bytes);
  EXPECT_EQ(hex, "007fabff");
  std::uint8_t back[4] = {};
  ASSERT_TRUE(parse_hex("007FABFF", back, 4));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(back), 4), std::string(reinterpret_cast<const char*>(bytes), 4));
  EXPECT_FALSE(parse_hex("007FABFF", back, 4, /*upper_ok=*/false));
  EXPECT_FALSE(parse_hex("007fabf", back, 4));
  EXPECT_FALSE(parse_hex("007fabfg", back, 4));
}

TEST(LruMap, EvictsLeastRecentlyUsedByCost) {
  LruMap<std::string, int> lru(10);
  EXPECT_TRUE(lru.put("a", 1, 4));
  EXPECT_TRUE(lru.put("b", 2, 4));
  ASSERT_NE(lru.find("a"), nullptr);  // a is now the most recent
  EXPECT_TRUE(lru.put("c", 3, 4));    // 12 > 10: b goes
  EXPECT_EQ(lru.find("b"), nullptr);
  EXPECT_EQ(*lru.find("a"), 1);
  EXPECT_EQ(lru.total_cost(), 8u);
  EXPECT_FALSE(lru.put("huge", 9, 11));  // over the capacity: not kept
  EXPECT_EQ(lru.size(), 2u);
  EXPECT_TRUE(lru.put("a", 5, 2));  // replaced, cost updated
  EXPECT_EQ(*lru.find("a"), 5);
  EXPECT_EQ(lru.total_cost(), 6u);
  lru.erase_if([](const std::string& k, int) { return k == "c"; });
  EXPECT_EQ(lru.size(), 1u);
}

}  // namespace
TEST(WantsPrometheus, MatchesOneQueryMember) {
  EXPECT_TRUE(lpweb::wants_prometheus("format=prometheus"));
  EXPECT_TRUE(lpweb::wants_prometheus("a=1&format=prometheus"));
  EXPECT_FALSE(lpweb::wants_prometheus("format=prometheusx"));
  EXPECT_FALSE(lpweb::wants_prometheus("xformat=prometheus"));
  EXPECT_FALSE(lpweb::wants_prometheus(""));
}

}  // namespace lpweb
