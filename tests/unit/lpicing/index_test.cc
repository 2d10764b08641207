// Unit tests of the INDEX format: round trips through serialize_index and
// RevisionIndex::parse, rejection of every malformed input class, and lookups.
#include "index.h"
#include "lpicing_test_util.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <unistd.h>

namespace lpicing {
namespace {

Sha256 sha_of_byte(std::uint8_t b) {
  Sha256 s;
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(b + i);
  return s;
}

const std::string kSums(64, 'a');
const std::string kHexA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

IndexHeader header(std::string revision = "42") {
  IndexHeader h;
  h.revision = std::move(revision);
  h.deployed = 1700000000;
  h.sums_sha256_hex = kSums;
  return h;
}

IndexEntry entry(std::string path, std::uint64_t size, std::uint8_t sha = 0, std::int64_t mtime = 1600000000) {
  IndexEntry e;
  e.path = std::move(path);
  e.size = size;
  e.sha256 = sha_of_byte(sha);
  e.mtime = mtime;
  return e;
}

// A valid INDEX with one entry and one variant, to be broken line by line.
std::string valid_text() {
  return "lpicing-index 1\n"
         "revision\t42\n"
         "deployed\t1700000000\n"
         "sums\t" + kSums + "\n"
         "files\t1\t10\n"
         "f\tcss/a.css\t10\t" + kHexA + "\t1600000000\n"
         "v\tbr\t5\t" + kHexA + "\n";
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto index = lpicing_test::parse_index(text, &error);
  EXPECT_EQ(index, nullptr) << "accepted:\n" << text;
  EXPECT_FALSE(error.empty());
  return error;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(IndexParse, AcceptsTheValidBaseline) {
  std::string error;
  auto index = lpicing_test::parse_index(valid_text(), &error);
  ASSERT_NE(index, nullptr) << error;
  EXPECT_EQ(index->header().revision, "42");
  EXPECT_EQ(index->header().deployed, 1700000000);
  EXPECT_EQ(index->header().sums_sha256_hex, kSums);
  EXPECT_EQ(index->header().file_count, 1u);
  EXPECT_EQ(index->header().total_bytes, 10u);
  ASSERT_EQ(index->entries().size(), 1u);
  const IndexEntry& e = index->entries()[0];
  EXPECT_EQ(e.path, "css/a.css");
  EXPECT_EQ(e.size, 10u);
  EXPECT_EQ(e.sha256, sha_of_byte(0));
  EXPECT_EQ(e.mtime, 1600000000);
  ASSERT_EQ(e.variants.size(), 1u);
  EXPECT_EQ(e.variants[0].encoding, Encoding::br);
  EXPECT_EQ(e.variants[0].size, 5u);
}

TEST(IndexRoundTrip, SerializeThenParseGivesBackEveryField) {
  IndexHeader h = header("rev-1.2_b");
  h.deployed = -5;  // pre-1970 clocks still round-trip
  std::vector<IndexEntry> entries;
  entries.push_back(entry("z.js", 7, 1, -100));
  entries.push_back(entry("a/b/c.css", 18446744073709551000ull, 2, 0));
  entries.push_back(entry("\xc3\xa9t\xc3\xa9.png", 3, 3, 9223372036854775807ll));
  entries[1].variants.push_back({Encoding::gzip, 4, sha_of_byte(9)});
  entries[1].variants.push_back({Encoding::br, 3, sha_of_byte(8)});

  std::string text = serialize_index(h, entries);
  std::string error;
  auto index = lpicing_test::parse_index(text, &error);
  ASSERT_NE(index, nullptr) << error << "\n" << text;
  EXPECT_EQ(index->header().revision, "rev-1.2_b");
  EXPECT_EQ(index->header().deployed, -5);
  EXPECT_EQ(index->header().file_count, 3u);
  EXPECT_EQ(index->header().total_bytes, 18446744073709551010ull);
  ASSERT_EQ(index->entries().size(), 3u);
  // Sorted bytewise: 'a' < 'z' < 0xc3.
  EXPECT_EQ(index->entries()[0].path, "a/b/c.css");
  EXPECT_EQ(index->entries()[1].path, "z.js");
  EXPECT_EQ(index->entries()[2].path, "\xc3\xa9t\xc3\xa9.png");
  EXPECT_EQ(index->entries()[1].mtime, -100);
  EXPECT_EQ(index->entries()[2].mtime, 9223372036854775807ll);
  const auto& v = index->entries()[0].variants;
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].encoding, Encoding::br);  // fixed order whatever the input order
  EXPECT_EQ(v[0].size, 3u);
  EXPECT_EQ(v[0].sha256, sha_of_byte(8));
  EXPECT_EQ(v[1].encoding, Encoding::gzip);
  EXPECT_EQ(v[1].sha256, sha_of_byte(9));
  // Serialising the parsed index gives the same bytes.
  EXPECT_EQ(serialize_index(index->header(), index->entries()), text);
}

TEST(IndexRoundTrip, WritesTheDocumentedLayout) {
  std::vector<IndexEntry> entries{entry("css/a.css", 10, 0, 1600000000)};
  entries[0].variants.push_back({Encoding::br, 5, sha_of_byte(0)});
  EXPECT_EQ(serialize_index(header(), entries), valid_text());
}

TEST(IndexRoundTrip, EmptyRevisionIsValid) {
  std::string text = serialize_index(header(), {});
  std::string error;
  auto index = lpicing_test::parse_index(text, &error);
  ASSERT_NE(index, nullptr) << error;
  EXPECT_TRUE(index->entries().empty());
  EXPECT_EQ(index->find("a"), nullptr);
}

TEST(IndexSerialize, RecomputesCountAndTotalFromEntries) {
  IndexHeader h = header();
  h.file_count = 99;
  h.total_bytes = 99;
  std::string text = serialize_index(h, {entry("a", 3), entry("b", 4)});
  EXPECT_NE(text.find("files\t2\t7\n"), std::string::npos) << text;
}

TEST(IndexSerialize, RefusesWhatParseWouldReject) {
  EXPECT_THROW(serialize_index(header("-bad"), {}), std::invalid_argument);
  IndexHeader bad_sums = header();
  bad_sums.sums_sha256_hex = std::string(64, 'A');
  EXPECT_THROW(serialize_index(bad_sums, {}), std::invalid_argument);
  EXPECT_THROW(serialize_index(header(), {entry("a\tb", 1)}), std::invalid_argument);
  EXPECT_THROW(serialize_index(header(), {entry("a\nb", 1)}), std::invalid_argument);
  EXPECT_THROW(serialize_index(header(), {entry("a", 1), entry("a", 2)}), std::invalid_argument);
  EXPECT_THROW(serialize_index(header(), {entry("../a", 1)}), std::invalid_argument);
  IndexEntry twice = entry("a", 1);
  twice.variants = {{Encoding::br, 1, {}}, {Encoding::br, 1, {}}};
  EXPECT_THROW(serialize_index(header(), {twice}), std::invalid_argument);
  IndexEntry identity = entry("a", 1);
  identity.variants = {{Encoding::identity, 1, {}}};
  EXPECT_THROW(serialize_index(header(), {identity}), std::invalid_argument);
}

TEST(IndexParse, RejectsMissingOrUnknownMagic) {
  parse_error("");
  parse_error(replace(valid_text(), "lpicing-index 1\n", ""));
  parse_error(replace(valid_text(), "lpicing-index 1", "lpicing-index 2"));
  parse_error(replace(valid_text(), "lpicing-index 1", "lpicing-index 1 "));
  parse_error(replace(valid_text(), "lpicing-index 1", "LPICING-INDEX 1"));
  parse_error("\n" + valid_text());
  EXPECT_NE(parse_error("hello\n").find("line 1"), std::string::npos);
}

TEST(IndexParse, RejectsTruncation) {
  std::string text = valid_text();
  parse_error(text.substr(0, text.size() - 1));  // no final newline
  parse_error(text.substr(0, text.find("f\t")));  // f line missing: count mismatch
  parse_error(replace(text, "files\t1\t10", "files\t1\t11"));
  parse_error(replace(text, "files\t1\t10", "files\t2\t10"));
}

TEST(IndexParse, RejectsBadHeaderLines) {
  std::string text = valid_text();
  parse_error(replace(text, "revision\t42", "revision\t.42"));
  parse_error(replace(text, "revision\t42", "revision\t"));
  parse_error(replace(text, "revision\t42", "revision\t42\textra"));
  parse_error(replace(text, "revision\t42", "revision 42"));
  parse_error(replace(text, "revision\t42", "revision\t" + std::string(65, 'r')));
  parse_error(replace(text, "deployed\t1700000000\n", ""));
  parse_error(replace(text, "deployed\t1700000000", "deployed\t17e8"));
  parse_error(replace(text, "deployed\t1700000000", "deployed\t+1700000000"));
  parse_error(replace(text, "deployed\t1700000000", "deployed\t-0"));
  parse_error(replace(text, "deployed\t1700000000", "deployed\t-"));
  parse_error(replace(text, "sums\t" + kSums, "sums\t" + kSums.substr(1)));
  parse_error(replace(text, "sums\t" + kSums, "sums\t" + std::string(64, 'A')));
  parse_error(replace(text, "sums\t" + kSums, "sums\t" + std::string(64, 'g')));
  parse_error(replace(text, "files\t1\t10", "files\t1"));
  // Header lines out of order.
  parse_error(replace(replace(text, "revision\t42\n", ""), "deployed\t1700000000\n",
                      "deployed\t1700000000\nrevision\t42\n"));
}

TEST(IndexParse, RejectsMalformedAndOverflowingNumbers) {
  std::string text = valid_text();
  const std::string f = "f\tcss/a.css\t10\t";
  parse_error(replace(text, f, "f\tcss/a.css\t010\t"));  // leading zero: not canonical
  parse_error(replace(text, f, "f\tcss/a.css\t1 0\t"));
  parse_error(replace(text, f, "f\tcss/a.css\t-10\t"));
  parse_error(replace(text, f, "f\tcss/a.css\t\t"));
  parse_error(replace(text, f, "f\tcss/a.css\t18446744073709551616\t"));  // 2^64
  parse_error(replace(text, f, "f\tcss/a.css\t99999999999999999999\t"));
  parse_error(replace(text, f, "f\tcss/a.css\t184467440737095516150\t"));
  parse_error(replace(text, "\t1600000000\n", "\t9223372036854775808\n"));  // 2^63
  parse_error(replace(text, "\t1600000000\n", "\t-9223372036854775809\n"));
  parse_error(replace(text, "files\t1\t10", "files\t18446744073709551616\t10"));
  parse_error(replace(text, "deployed\t1700000000", "deployed\t9223372036854775808"));
  // Sizes whose sum overflows 64 bits.
  std::string two = "lpicing-index 1\nrevision\t1\ndeployed\t0\nsums\t" + kSums +
                    "\nfiles\t2\t0\n"
                    "f\ta\t18446744073709551615\t" + kHexA + "\t0\n"
                    "f\tb\t1\t" + kHexA + "\t0\n";
  EXPECT_NE(parse_error(two).find("overflow"), std::string::npos);
}

TEST(IndexParse, AcceptsExtremeButValidNumbers) {
  std::string text = valid_text();
  text = replace(text, "\t1600000000\n", "\t-9223372036854775808\n");
  std::string error;
  auto index = lpicing_test::parse_index(text, &error);
  ASSERT_NE(index, nullptr) << error;
  EXPECT_EQ(index->entries()[0].mtime, INT64_MIN);
}

TEST(IndexParse, RejectsBadHex) {
  std::string text = valid_text();
  std::string upper = kHexA;
  upper[20] = 'A';
  parse_error(replace(text, "10\t" + kHexA, "10\t" + upper));
  parse_error(replace(text, "10\t" + kHexA, "10\t" + kHexA.substr(2)));
  parse_error(replace(text, "10\t" + kHexA, "10\t" + kHexA + "00"));
  std::string bad = kHexA;
  bad[63] = 'z';
  parse_error(replace(text, "10\t" + kHexA, "10\t" + bad));
  parse_error(replace(text, "5\t" + kHexA, "5\t" + bad));
}

TEST(IndexParse, RejectsVLineBeforeAnyFLine) {
  std::string text = valid_text();
  std::string v = "v\tbr\t5\t" + kHexA + "\n";
  text = replace(text, v, "");
  text = replace(text, "files\t1\t10\n", "files\t1\t10\n" + v);
  EXPECT_NE(parse_error(text).find("before any f line"), std::string::npos);
}

TEST(IndexParse, RejectsDuplicatePaths) {
  std::string text = valid_text();
  std::string f = "f\tcss/a.css\t10\t" + kHexA + "\t1600000000\n";
  text = replace(text, "files\t1\t10", "files\t2\t20");
  text += f;
  EXPECT_NE(parse_error(text).find("duplicate path"), std::string::npos);
}

TEST(IndexParse, RejectsUnsortedFLines) {
  std::string text = valid_text();
  text = replace(text, "files\t1\t10", "files\t2\t11");
  text += "f\tcss/0.css\t1\t" + kHexA + "\t0\n";
  EXPECT_NE(parse_error(text).find("not sorted"), std::string::npos);
}

TEST(IndexParse, SortOrderIsBytewiseNotSigned) {
  // 0xc3 sorts after 'z' as an unsigned byte; a signed-char compare would flip it.
  std::string text = "lpicing-index 1\nrevision\t1\ndeployed\t0\nsums\t" + kSums +
                     "\nfiles\t2\t2\n"
                     "f\tz\t1\t" + kHexA + "\t0\n"
                     "f\t\xc3\xa9\t1\t" + kHexA + "\t0\n";
  std::string error;
  EXPECT_NE(lpicing_test::parse_index(text, &error), nullptr) << error;
}

TEST(IndexParse, RejectsDuplicateEncodings) {
  std::string text = valid_text() + "v\tbr\t6\t" + kHexA + "\n";
  EXPECT_NE(parse_error(text).find("duplicate encoding"), std::string::npos);
}

// Found by fuzz_index: gzip before br parsed, but serialize_index writes br
// first, so the same index had two spellings.
TEST(IndexParse, RejectsVariantsOutOfOrder) {
  std::string text = valid_text() + "v\tgzip\t6\t" + kHexA + "\n";
  ASSERT_NE(lpicing_test::parse_index(text, nullptr), nullptr);
  std::string swapped = replace(replace(text, "v\tbr\t5", "v\tXX\t5"), "v\tgzip\t6", "v\tbr\t6");
  swapped = replace(swapped, "v\tXX\t5", "v\tgzip\t5");
  EXPECT_NE(parse_error(swapped).find("v lines not in br, gzip order"), std::string::npos);
}

TEST(IndexParse, RejectsUnknownEncodingsAndLineTypes) {
  std::string text = valid_text();
  parse_error(replace(text, "v\tbr", "v\tzstd"));
  parse_error(replace(text, "v\tbr", "v\tidentity"));
  parse_error(replace(text, "v\tbr", "v\tBR"));
  parse_error(replace(text, "v\tbr", "v\tx-gzip"));
  parse_error(text + "x\tsomething\n");
  parse_error(text + "\n");  // blank line
  parse_error(text + "f\n");
  parse_error(replace(text, "v\tbr\t5\t" + kHexA, "v\tbr\t5\t" + kHexA + "\textra"));
  parse_error(replace(text, "\t1600000000\n", "\t1600000000\textra\n"));
  parse_error(replace(text, "f\tcss", "F\tcss"));
}

TEST(IndexParse, RejectsPathsThatCouldEscapeTheRevision) {
  const std::string tail = "\t10\t" + kHexA + "\t1600000000\n";
  for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../a", "a/../b", "./a", "a/./b", "a//b", "a/", ".",
                          "a\rb", std::string("a\0b", 3), "a\x7f", "\xff\xfe", "\xc0\xaf",
                          "\xed\xa0\x80", std::string(1025, 'a'), std::string(256, 'a')}) {
    std::string text = replace(valid_text(), "f\tcss/a.css" + tail, "f\t" + bad + tail);
    std::string error;
    EXPECT_EQ(lpicing_test::parse_index(text, &error), nullptr) << "accepted path: " << bad;
  }
}

TEST(IndexParse, NeverCrashesOnPrefixesOrByteFlips) {
  // A cheap stand-in for the fuzzer: every truncation and every single-byte
  // corruption of a valid index must be handled (most rejected, none crash).
  IndexHeader h = header();
  std::vector<IndexEntry> entries{entry("a.css", 3, 1), entry("b/c.js", 4, 2)};
  entries[0].variants.push_back({Encoding::gzip, 2, sha_of_byte(3)});
  const std::string text = serialize_index(h, entries);
  std::size_t accepted = 0;
  for (std::size_t n = 0; n < text.size(); ++n) {
    std::string error;
    if (lpicing_test::parse_index(text.substr(0, n), &error)) ++accepted;
  }
  EXPECT_EQ(accepted, 0u);
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (char c : {'\0', '\t', '\n', '0', 'f', 'v', '\xff'}) {
      std::string mutated = text;
      mutated[i] = c;
      std::string error;
      auto index = lpicing_test::parse_index(mutated, &error);
      if (!index) {
        EXPECT_FALSE(error.empty());
      }
    }
  }
}

TEST(IndexParse, ErrorPointerMayBeNull) {
  EXPECT_EQ(lpicing_test::parse_index("junk", nullptr), nullptr);
  EXPECT_EQ(lpicing_test::load_index("/nonexistent/INDEX", nullptr), nullptr);
}

TEST(IndexFind, HitsAndMisses) {
  std::vector<IndexEntry> entries{entry("css/a.css", 1, 1), entry("js/app.js", 2, 2), entry("img/logo.png", 3, 3)};
  auto index = lpicing_test::parse_index(serialize_index(header(), entries), nullptr);
  ASSERT_NE(index, nullptr);
  const IndexEntry* hit = index->find("js/app.js");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->size, 2u);
  EXPECT_EQ(hit->sha256, sha_of_byte(2));
  EXPECT_NE(index->find("css/a.css"), nullptr);
  EXPECT_EQ(index->find("css/b.css"), nullptr);
  EXPECT_EQ(index->find("css"), nullptr);          // a directory is not an entry
  EXPECT_EQ(index->find("js/app.js/"), nullptr);
  EXPECT_EQ(index->find("/js/app.js"), nullptr);
  EXPECT_EQ(index->find(""), nullptr);
}

TEST(IndexFind, ComparesExactBytes) {
  // NFC "é" (c3 a9) versus NFD "e" + U+0301 (65 cc 81).
  std::vector<IndexEntry> entries{entry("Logo.PNG", 1, 1), entry("caf\xc3\xa9.css", 2, 2)};
  auto index = lpicing_test::parse_index(serialize_index(header(), entries), nullptr);
  ASSERT_NE(index, nullptr);
  EXPECT_NE(index->find("Logo.PNG"), nullptr);
  EXPECT_EQ(index->find("logo.png"), nullptr);
  EXPECT_EQ(index->find("LOGO.PNG"), nullptr);
  EXPECT_NE(index->find("caf\xc3\xa9.css"), nullptr);
  EXPECT_EQ(index->find("cafe\xcc\x81.css"), nullptr);
  EXPECT_EQ(index->find(std::string_view("Logo.PNG\0", 9)), nullptr);
}

TEST(IndexFind, MoveOfTheIndexKeepsLookupsValid) {
  // The map holds views into entries_; a big index must not leave them dangling.
  std::vector<IndexEntry> entries;
  for (int i = 0; i < 2000; ++i) entries.push_back(entry("dir/file" + std::to_string(i) + ".css", 1));
  auto index = lpicing_test::parse_index(serialize_index(header(), entries), nullptr);
  ASSERT_NE(index, nullptr);
  std::unique_ptr<RevisionIndex> moved = std::move(index);
  for (int i = 0; i < 2000; i += 97) {
    const IndexEntry* e = moved->find("dir/file" + std::to_string(i) + ".css");
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->path, "dir/file" + std::to_string(i) + ".css");
  }
}

TEST(IndexLoad, ReadsAFileAndReportsMissingOnes) {
  char dir[] = "/tmp/lpicing-index-test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/INDEX";
  std::string text = valid_text();
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);

  std::string error;
  auto index = lpicing_test::load_index(path, &error);
  ASSERT_NE(index, nullptr) << error;
  EXPECT_NE(index->find("css/a.css"), nullptr);

  EXPECT_EQ(lpicing_test::load_index(std::string(dir) + "/missing", &error), nullptr);
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
  EXPECT_EQ(lpicing_test::load_index(dir, &error), nullptr);  // a directory
  EXPECT_FALSE(error.empty());

  // A malformed file names the file in the error.
  f = std::fopen(path.c_str(), "w");
  std::fputs("garbage\n", f);
  std::fclose(f);
  EXPECT_EQ(lpicing_test::load_index(path, &error), nullptr);
  EXPECT_NE(error.find(path), std::string::npos) << error;

  ::unlink(path.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace lpicing
