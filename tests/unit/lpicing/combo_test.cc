// Combo URLs in the core: path and query parsing (hostile queries included),
// limits, revisions, mixed types, the ETag digest, bodies and the cache.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "decode.h"
#include "combo.h"
#include "crypto.h"
#include "lpicing_test_util.h"
#include "precompress.h"

namespace {

using namespace lpicing;
using lpicing_test::TempDir;

using lpweb_test::brotli_decode;
using lpweb_test::gzip_decode;

std::vector<std::string> parse_ok(std::string_view query, std::size_t max = 100) {
  std::vector<std::string> members;
  std::string why;
  EXPECT_EQ(parse_combo_query(query, max, &members, &why), ComboQueryStatus::ok) << query.substr(0, 80) << ": " << why;
  return members;
}

ComboQueryStatus parse_status(std::string_view query, std::size_t max = 100) {
  std::vector<std::string> members;
  std::string why;
  ComboQueryStatus s = parse_combo_query(query, max, &members, &why);
  if (s != ComboQueryStatus::ok) {
    EXPECT_FALSE(why.empty()) << query.substr(0, 80);
  }
  return s;
}

// ---- path ----------------------------------------------------------------

TEST(ComboPath, VersionedAndCurrentForms) {
  ComboPath v = parse_combo_path("/+combo/rev100/");
  EXPECT_EQ(v.kind, PathKind::versioned);
  EXPECT_EQ(v.revision, "100");
  EXPECT_EQ(parse_combo_path("/+combo/rev2026.11.26-1_a/").revision, "2026.11.26-1_a");
  EXPECT_EQ(parse_combo_path("/+combo/").kind, PathKind::current);
}

TEST(ComboPath, EverythingElseInTheNamespaceIsNotFound) {
  for (std::string_view p : {"/+combo", "/+combo/rev100", "/+combo/rev/", "/+combo/rev100/x", "/+combo/rev100//",
                             "/+combo//", "/+combo/100/", "/+combo/rev../", "/+combo/rev-x/", "/+combo/a.js",
                             "/+combo/rev100/../rev101/"}) {
    EXPECT_TRUE(is_combo_path(p)) << p;
    EXPECT_EQ(parse_combo_path(p).kind, PathKind::not_found) << p;
  }
}

TEST(ComboPath, OnlyTheWholeFirstSegmentIsTheNamespace) {
  EXPECT_FALSE(is_combo_path("/+combox/rev1/"));
  EXPECT_FALSE(is_combo_path("/rev1/+combo/"));
  EXPECT_FALSE(is_combo_path("/combo/"));
  EXPECT_FALSE(is_combo_path(""));
  EXPECT_EQ(parse_combo_path("/+combox/").kind, PathKind::not_found);
}

// ---- query ---------------------------------------------------------------

TEST(ComboQuery, SplitsOnAmpersandKeepingOrderAndRepeats) {
  EXPECT_EQ(parse_ok("a.js&b/c.js&a.js"), (std::vector<std::string>{"a.js", "b/c.js", "a.js"}));
  EXPECT_EQ(parse_ok("one.css"), (std::vector<std::string>{"one.css"}));
}

TEST(ComboQuery, PercentEscapesAreDecodedAndPlusIsLiteral) {
  EXPECT_EQ(parse_ok("hello%20world.txt&a%26b.txt&c+d.txt&%2Bx.txt"),
            (std::vector<std::string>{"hello world.txt", "a&b.txt", "c+d.txt", "+x.txt"}));
  EXPECT_EQ(parse_ok("%c3%a9t%C3%A9.css"), (std::vector<std::string>{"\xc3\xa9t\xc3\xa9.css"}));
  EXPECT_EQ(parse_ok("a=b.js"), (std::vector<std::string>{"a=b.js"}));
}

TEST(ComboQuery, MalformedEscapeIsBadRequest) {
  for (std::string_view q : {"a%zz.js", "a%4.js", "a.js%", "a.js%2", "a.js&%g0.js", "%%32%65.js"})
    EXPECT_EQ(parse_status(q), ComboQueryStatus::bad_request) << q;
}

TEST(ComboQuery, EscapedSlashOrNulIsNotFound) {
  for (std::string_view q : {"css%2Fa.css", "css%2fa.css", "a.css%00", "%00", "a.js&b%00.js"})
    EXPECT_EQ(parse_status(q), ComboQueryStatus::not_found) << q;
}

TEST(ComboQuery, EmptyQueryAndEmptyMembersAreNotFound) {
  for (std::string_view q : {"", "&", "&&", "a.js&&b.js", "a.js&", "&a.js"})
    EXPECT_EQ(parse_status(q), ComboQueryStatus::not_found) << "'" << q << "'";
}

TEST(ComboQuery, MembersFollowTheSingleFilePathRules) {
  for (std::string_view q : {"../INDEX", "a/../../b.js", "%2e%2e/INDEX", "%2E%2E/rev101/a.js", "./a.js", ".hidden",
                             "css/.hidden.css", "/etc/passwd", "%2Fetc%2Fpasswd", "css/", "css//a.css",
                             "..\\..\\INDEX", "a%5cb.js", "a\\b.js", "a%01.js", "a%7f.js", "a%0d%0a.js",
                             "a.js&..", "a.js&%2e%2e%2fINDEX"})
    EXPECT_EQ(parse_status(q), ComboQueryStatus::not_found) << q;
}

TEST(ComboQuery, OverlongMembersAreNotFound) {
  EXPECT_EQ(parse_status(std::string(1025, 'a')), ComboQueryStatus::not_found);
  EXPECT_EQ(parse_status(std::string(256, 'a') + ".js"), ComboQueryStatus::not_found);
  EXPECT_EQ(parse_ok(std::string(255, 'a')).size(), 1u);
  // 1024 bytes, each escape decoding to one byte
  std::string escaped;
  for (int i = 0; i < 4; ++i) escaped += std::string(200, 'b') + "%41%41/";
  EXPECT_EQ(parse_status(escaped + std::string(1024 - 4 * 203 - 1, 'c') + "d"), ComboQueryStatus::ok);
}

TEST(ComboQuery, MoreMembersThanTheLimitIsBadRequest) {
  std::string q = "a.js";
  for (int i = 1; i < 5; ++i) q += "&a.js";
  EXPECT_EQ(parse_ok(q, 5).size(), 5u);
  EXPECT_EQ(parse_status(q + "&a.js", 5), ComboQueryStatus::bad_request);
  // Counted before anything is decoded: a huge hostile list costs one scan.
  EXPECT_EQ(parse_status(std::string(1 << 20, '&'), 100), ComboQueryStatus::bad_request);
}

TEST(ComboQuery, VeryLongQueriesAreHandled) {
  std::string many;
  std::string dirs;
  for (int d = 0; d < 4; ++d) dirs += std::string(250, 'd') + "/";
  for (int i = 0; i < 100; ++i) many += (i ? "&" : "") + dirs + std::string(10, 'x') + ".js";  // 1017 bytes each
  EXPECT_EQ(parse_ok(many).size(), 100u);
  EXPECT_EQ(parse_status(std::string(1 << 20, 'x')), ComboQueryStatus::not_found);
  EXPECT_EQ(parse_status(std::string(1 << 20, '%')), ComboQueryStatus::bad_request);
}

TEST(ComboQuery, EveryByteValueIsEitherAcceptedOrRefused) {
  for (int b = 0; b < 256; ++b) {
    std::string raw = "a" + std::string(1, static_cast<char>(b)) + ".js";
    std::vector<std::string> members;
    std::string why;
    ComboQueryStatus s = parse_combo_query(raw, 100, &members, &why);
    if (s == ComboQueryStatus::ok) {
      for (const std::string& m : members) EXPECT_TRUE(is_servable_file_path(m)) << b;
    }
    char esc[8];
    std::snprintf(esc, sizeof esc, "a%%%02x.js", b);
    s = parse_combo_query(esc, 100, &members, &why);
    if (b == '/' || b < 0x20 || b == 0x7f || b == '\\') {
      EXPECT_EQ(s, ComboQueryStatus::not_found) << b;
    } else {
      ASSERT_EQ(s, ComboQueryStatus::ok) << b;
      EXPECT_EQ(members[0], "a" + std::string(1, static_cast<char>(b)) + ".js");
    }
  }
}

// ---- helpers ---------------------------------------------------------------

TEST(ComboExtension, LastExtensionLowerCased) {
  EXPECT_EQ(combo_extension("css/a.CSS"), "css");
  EXPECT_EQ(combo_extension("js/jquery.min.js"), "js");
  EXPECT_EQ(combo_extension("LICENSE"), "");
  EXPECT_EQ(combo_extension("dir.d/LICENSE"), "");
  EXPECT_EQ(combo_extension("a.css.br"), "br");
}

// ---- a real store ------------------------------------------------------------

class ComboStore : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir((tmp_ / "revisions").c_str(), 0755); }

  // Publishes `files` as revision `rev`: files/ and an INDEX with their real hashes.
  void deploy(const std::string& rev, const std::vector<std::pair<std::string, std::string>>& files,
              std::int64_t mtime = 1600000000) {
    std::string dir = tmp_ / ("revisions/" + rev);
    std::vector<IndexEntry> entries;
    std::uint64_t total = 0;
    for (const auto& [path, content] : files) {
      std::string full = dir + "/files/" + path;
      for (std::size_t s = full.find('/', tmp_.path().size() + 1); s != std::string::npos; s = full.find('/', s + 1))
        ::mkdir(full.substr(0, s).c_str(), 0755);
      lpicing_test::write_file(full, content);
      IndexEntry e;
      e.path = path;
      e.size = content.size();
      e.sha256 = sha256_of(content);
      e.mtime = mtime++;
      entries.push_back(e);
      total += content.size();
    }
    IndexHeader h;
    h.revision = rev;
    h.deployed = 1;
    h.sums_sha256_hex = std::string(64, 'a');
    h.file_count = entries.size();
    h.total_bytes = total;
    lpicing_test::write_file(dir + "/INDEX", serialize_index(h, entries));
  }

  ResolvedCombo resolve(std::string_view path, std::string_view query, std::string_view accept = "",
                        ComboLimits limits = {}) {
    return resolve_combo(cache_, tmp_.path(), path, query, accept, limits);
  }

  std::string css(const std::string& marker, int rules = 20) {
    std::string out = "/* " + marker + " */\n";
    for (int i = 0; i < rules; ++i) out += ".r" + std::to_string(i) + " { color: #123456; }\n";
    return out;
  }

  void standard() {
    deploy("100", {{"css/a.css", css("a")},
                   {"css/b.css", css("b")},
                   {"js/app.js", "var x = 1;\n"},
                   {"js/lib.JS", "var y = 2;\n"},
                   {"img/logo.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(300, 'p')},
                   {"tiny.css", "a{}"}});
    deploy("101", {{"css/a.css", css("a 101")}, {"css/new.css", css("new")}});
  }

  TempDir tmp_;
  IndexCache cache_;
};

TEST_F(ComboStore, FoundCombosListTheirMembersInOrder) {
  standard();
  ResolvedCombo c = resolve("/+combo/rev100/", "css/b.css&css/a.css&css/b.css");
  ASSERT_EQ(c.status, ComboStatus::found) << c.reason;
  EXPECT_EQ(c.kind, PathKind::versioned);
  EXPECT_EQ(c.revision, "100");
  ASSERT_EQ(c.members.size(), 3u);
  EXPECT_EQ(c.members[0]->path, "css/b.css");
  EXPECT_EQ(c.members[1]->path, "css/a.css");
  EXPECT_EQ(c.identity_size, 2 * css("b").size() + css("a").size());
  EXPECT_EQ(c.files[1], tmp_.path() + "/revisions/100/files/css/a.css");
  EXPECT_EQ(c.mtime, 1600000001);  // css/b.css, the newer of the two
  EXPECT_EQ(c.encoding, Encoding::identity);
  EXPECT_TRUE(c.vary);
}

TEST_F(ComboStore, CurrentFollowsTheLink) {
  standard();
  ASSERT_EQ(::symlink("revisions/101", (tmp_ / "current").c_str()), 0);
  ResolvedCombo c = resolve("/+combo/", "css/new.css&css/a.css");
  ASSERT_EQ(c.status, ComboStatus::found) << c.reason;
  EXPECT_EQ(c.kind, PathKind::current);
  EXPECT_EQ(c.revision, "101");
}

TEST_F(ComboStore, NoCurrentRevisionIsNotFound) {
  standard();
  EXPECT_EQ(resolve("/+combo/", "css/a.css").status, ComboStatus::not_found);
}

TEST_F(ComboStore, AMemberOutsideTheRevisionIsNotFound) {
  standard();
  for (std::string_view q : {"css/a.css&css/new.css", "css/a.css&css/missing.css", "css/a.css&../101/files/css/new.css",
                             "css/a.css&css", "INDEX", "css/a.css&SHA256SUMS", "REVISION", "files/css/a.css",
                             "css/a.css&CSS/A.CSS"}) {
    ResolvedCombo c = resolve("/+combo/rev100/", q);
    EXPECT_EQ(c.status, ComboStatus::not_found) << q;
    EXPECT_TRUE(c.members.empty()) << q;
    EXPECT_FALSE(c.reason.empty()) << q;
  }
}

TEST_F(ComboStore, UnknownRevisionOrBadPathIsNotFound) {
  standard();
  EXPECT_EQ(resolve("/+combo/rev999/", "css/a.css").status, ComboStatus::not_found);
  EXPECT_EQ(resolve("/+combo/rev100", "css/a.css").status, ComboStatus::not_found);
  EXPECT_EQ(resolve("/+combo/rev100/css/", "a.css").status, ComboStatus::not_found);
}

TEST_F(ComboStore, MixedTypesAreBadRequest) {
  standard();
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&js/app.js");
  EXPECT_EQ(c.status, ComboStatus::bad_request);
  EXPECT_NE(c.reason.find("different types"), std::string::npos) << c.reason;
  EXPECT_EQ(resolve("/+combo/rev100/", "img/logo.png&css/a.css").status, ComboStatus::bad_request);
}

TEST_F(ComboStore, ExtensionsCompareCaseInsensitively) {
  standard();
  EXPECT_EQ(resolve("/+combo/rev100/", "js/app.js&js/lib.JS").status, ComboStatus::found);
}

TEST_F(ComboStore, LimitsOnFilesAndBytes) {
  standard();
  ComboLimits limits;
  limits.max_files = 2;
  EXPECT_EQ(resolve("/+combo/rev100/", "css/a.css&css/b.css", "", limits).status, ComboStatus::found);
  EXPECT_EQ(resolve("/+combo/rev100/", "css/a.css&css/b.css&css/a.css", "", limits).status, ComboStatus::bad_request);
  limits = {};
  limits.max_bytes = css("a").size() + css("b").size();
  EXPECT_EQ(resolve("/+combo/rev100/", "css/a.css&css/b.css", "", limits).status, ComboStatus::found);
  ResolvedCombo over = resolve("/+combo/rev100/", "css/a.css&css/b.css&tiny.css", "", limits);
  EXPECT_EQ(over.status, ComboStatus::bad_request);
  EXPECT_NE(over.reason.find("limit"), std::string::npos) << over.reason;
}

TEST_F(ComboStore, BrokenIndexIsAnError) {
  standard();
  lpicing_test::write_file(tmp_ / "revisions/100/INDEX", "garbage\n");
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css");
  EXPECT_EQ(c.status, ComboStatus::error);
  EXPECT_FALSE(c.reason.empty());
}

TEST_F(ComboStore, CompressibleCombosNegotiateEncoding) {
  standard();
  EXPECT_EQ(resolve("/+combo/rev100/", "css/a.css&css/b.css", "gzip, br").encoding, Encoding::br);
  EXPECT_EQ(resolve("/+combo/rev100/", "css/a.css&css/b.css", "gzip").encoding, Encoding::gzip);
  EXPECT_EQ(resolve("/+combo/rev100/", "css/a.css&css/b.css", "br;q=0, gzip;q=0").encoding, Encoding::identity);
  // Not text-like, or too small to be worth it: never encoded, no Vary.
  ResolvedCombo png = resolve("/+combo/rev100/", "img/logo.png&img/logo.png", "br");
  EXPECT_EQ(png.encoding, Encoding::identity);
  EXPECT_FALSE(png.vary);
  ResolvedCombo tiny = resolve("/+combo/rev100/", "tiny.css&tiny.css", "br");
  EXPECT_EQ(tiny.encoding, Encoding::identity);
  EXPECT_FALSE(tiny.vary);
}

TEST_F(ComboStore, DigestIsDeterministicAndDiffersPerEncodingOrderAndContent) {
  standard();
  ResolvedCombo a = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  ResolvedCombo again = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  EXPECT_EQ(a.digest, again.digest);
  EXPECT_EQ(a.digest, combo_digest(a.members, Encoding::br));
  EXPECT_NE(a.digest, resolve("/+combo/rev100/", "css/a.css&css/b.css", "gzip").digest);
  EXPECT_NE(a.digest, resolve("/+combo/rev100/", "css/a.css&css/b.css", "").digest);
  EXPECT_NE(a.digest, resolve("/+combo/rev100/", "css/b.css&css/a.css", "br").digest);
  EXPECT_NE(a.digest, resolve("/+combo/rev101/", "css/a.css&css/new.css", "br").digest);
  // A fixed value: the same on every server and across releases of this code.
  IndexEntry e;
  e.sha256 = sha256_of("x");
  std::vector<const IndexEntry*> one = {&e};
  Sha256Hasher h;
  std::string head = "lpicing-combo 1\nidentity\n1\n";
  h.update(head.data(), head.size());
  h.update(e.sha256.data(), e.sha256.size());
  EXPECT_EQ(combo_digest(one, Encoding::identity), h.finish());
  // A content-addressed key: the same members in another revision give the same digest.
  deploy("102", {{"x/a.css", css("a")}, {"y/b.css", css("b")}});
  EXPECT_EQ(a.digest, resolve("/+combo/rev102/", "x/a.css&y/b.css", "br").digest);
}

TEST_F(ComboStore, BodiesAreTheConcatenationInEveryEncoding) {
  standard();
  const std::string expected = css("b") + css("a") + css("b");
  ComboCache cache;
  ResolvedCombo id = resolve("/+combo/rev100/", "css/b.css&css/a.css&css/b.css");
  ComboBody body = combo_body(id, &cache);
  ASSERT_EQ(body.status, ComboBodyStatus::ok) << body.error;
  EXPECT_EQ(*body.bytes, expected);
  EXPECT_EQ(cache.entries(), 0u);  // identity is never cached

  ResolvedCombo br = resolve("/+combo/rev100/", "css/b.css&css/a.css&css/b.css", "br");
  body = combo_body(br, &cache);
  ASSERT_EQ(body.status, ComboBodyStatus::ok) << body.error;
  EXPECT_FALSE(body.from_cache);
  EXPECT_LT(body.bytes->size(), expected.size());
  EXPECT_EQ(brotli_decode(*body.bytes), expected);

  ResolvedCombo gz = resolve("/+combo/rev100/", "css/b.css&css/a.css&css/b.css", "gzip");
  body = combo_body(gz, &cache);
  ASSERT_EQ(body.status, ComboBodyStatus::ok) << body.error;
  EXPECT_EQ(gzip_decode(*body.bytes), expected);
  EXPECT_EQ(cache.entries(), 2u);

  ComboBody again = combo_body(br, &cache);
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(again.bytes, combo_body(br, &cache).bytes);
  EXPECT_EQ(cache.hits(), 2u);
}

TEST_F(ComboStore, CompressionIsDeterministic) {
  standard();
  ResolvedCombo br = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  ResolvedCombo gz = resolve("/+combo/rev100/", "css/a.css&css/b.css", "gzip");
  EXPECT_EQ(*combo_body(br, nullptr).bytes, *combo_body(br, nullptr).bytes);
  EXPECT_EQ(*combo_body(gz, nullptr).bytes, *combo_body(gz, nullptr).bytes);
  EXPECT_EQ(combo_body(gz, nullptr).bytes->substr(4, 4), std::string(4, '\0'));  // gzip mtime 0
}

TEST_F(ComboStore, MemberPrunedAfterResolvingIsNotFound) {
  standard();
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  ASSERT_EQ(c.status, ComboStatus::found);
  ASSERT_EQ(::unlink((tmp_ / "revisions/100/files/css/b.css").c_str()), 0);
  ComboBody body = combo_body(c, nullptr);
  EXPECT_EQ(body.status, ComboBodyStatus::not_found);
  EXPECT_NE(body.error.find("css/b.css"), std::string::npos) << body.error;
}

TEST_F(ComboStore, MemberChangedByHandIsAnError) {
  standard();
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css");
  lpicing_test::write_file(tmp_ / "revisions/100/files/css/a.css", "short");
  ComboBody body = combo_body(c, nullptr);
  EXPECT_EQ(body.status, ComboBodyStatus::error);
  EXPECT_NE(body.error.find("changed by hand"), std::string::npos) << body.error;
}

// ---- bounded compression: which body a request gets ---------------------------------

class ComboChoiceTest : public ComboStore {
 protected:
  void SetUp() override {
    ComboStore::SetUp();
    standard();
  }
  std::vector<std::uint64_t> memory_ = std::vector<std::uint64_t>(2, 0);
  CompressorSlots slots_{memory_.data(), 16, 2};
  ComboCache cache_bodies_;
};

TEST_F(ComboChoiceTest, AMissWithAFreeSlotCompressesAndCaches) {
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  const Sha256 br_digest = c.digest;
  ComboChoice choice = choose_combo_body(&c, &cache_bodies_, slots_, 1, /*head=*/false);
  EXPECT_EQ(choice.plan, ComboPlan::compress);
  EXPECT_TRUE(choice.slot);
  EXPECT_EQ(c.encoding, Encoding::br);
  EXPECT_EQ(c.digest, br_digest);
  ComboBody body = make_combo_body(c, &cache_bodies_);
  ASSERT_EQ(body.status, ComboBodyStatus::ok) << body.error;
  choice.slot.release();
  EXPECT_EQ(memory_[0], 0u);
  EXPECT_EQ(brotli_decode(*body.bytes), css("a") + css("b"));
  EXPECT_EQ(cache_bodies_.entries(), 1u);
}

TEST_F(ComboChoiceTest, AMissWithNoSlotFreeIsIdentityWithIdentityValidators) {
  CompressorSlots::Hold other = slots_.try_acquire(1);  // this process compresses something else
  ASSERT_TRUE(other);
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "gzip");
  ComboChoice choice = choose_combo_body(&c, &cache_bodies_, slots_, 1, false);
  EXPECT_EQ(choice.plan, ComboPlan::identity);
  EXPECT_FALSE(choice.slot);
  EXPECT_EQ(c.encoding, Encoding::identity);
  EXPECT_EQ(c.digest, resolve("/+combo/rev100/", "css/a.css&css/b.css", "").digest);
  EXPECT_TRUE(c.vary);  // the response still depends on Accept-Encoding
  EXPECT_EQ(cache_bodies_.entries(), 0u);
  // The next miss that gets a slot compresses it.
  other.release();
  ResolvedCombo again = resolve("/+combo/rev100/", "css/a.css&css/b.css", "gzip");
  EXPECT_EQ(choose_combo_body(&again, &cache_bodies_, slots_, 1, false).plan, ComboPlan::compress);
  EXPECT_EQ(again.encoding, Encoding::gzip);
}

TEST_F(ComboChoiceTest, AVirtualHostLimitCountsOnlyItsSlots) {
  memory_[1] = compressor_slot_word(static_cast<std::int32_t>(getpid()), CompressorSlots::monotonic_second());
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  EXPECT_EQ(choose_combo_body(&c, &cache_bodies_, slots_, 1, false).plan, ComboPlan::compress);  // slot 0 free
  memory_[0] = memory_[1];
  ResolvedCombo d = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  EXPECT_EQ(choose_combo_body(&d, &cache_bodies_, slots_, 2, false).plan, ComboPlan::identity);
}

TEST_F(ComboChoiceTest, ZeroCompressorsNeverCompress) {
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  ComboChoice choice = choose_combo_body(&c, &cache_bodies_, slots_, 0, false);
  EXPECT_EQ(choice.plan, ComboPlan::identity);
  EXPECT_EQ(c.encoding, Encoding::identity);
  EXPECT_EQ(memory_, std::vector<std::uint64_t>(2, 0));
}

TEST_F(ComboChoiceTest, ACachedBodyNeedsNoSlot) {
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  ASSERT_EQ(combo_body(c, &cache_bodies_).status, ComboBodyStatus::ok);
  CompressorSlots::Hold a = slots_.try_acquire(2), b = slots_.try_acquire(2);
  ASSERT_TRUE(a && b);
  for (bool head : {false, true}) {
    ResolvedCombo again = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
    ComboChoice choice = choose_combo_body(&again, &cache_bodies_, slots_, 2, head);
    EXPECT_EQ(choice.plan, ComboPlan::cached) << head;
    ASSERT_NE(choice.cached, nullptr);
    EXPECT_EQ(brotli_decode(*choice.cached), css("a") + css("b"));
    EXPECT_EQ(again.encoding, Encoding::br);
  }
}

TEST_F(ComboChoiceTest, AHeadNeverCompresses) {
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  ComboChoice choice = choose_combo_body(&c, &cache_bodies_, slots_, 2, /*head=*/true);
  EXPECT_EQ(choice.plan, ComboPlan::identity);
  EXPECT_FALSE(choice.slot);
  EXPECT_EQ(c.encoding, Encoding::identity);
  EXPECT_EQ(memory_, std::vector<std::uint64_t>(2, 0));
}

TEST_F(ComboChoiceTest, IdentityNegotiatedTakesNoSlotAndNoCache) {
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "identity");
  const Sha256 digest = c.digest;
  ComboChoice choice = choose_combo_body(&c, &cache_bodies_, slots_, 2, false);
  EXPECT_EQ(choice.plan, ComboPlan::identity);
  EXPECT_EQ(c.digest, digest);
  EXPECT_EQ(cache_bodies_.misses(), 0u);
  EXPECT_EQ(memory_, std::vector<std::uint64_t>(2, 0));
}

TEST_F(ComboChoiceTest, WithoutACacheEveryMissNeedsASlot) {
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  EXPECT_EQ(choose_combo_body(&c, nullptr, slots_, 1, false).plan, ComboPlan::compress);
}

TEST_F(ComboChoiceTest, GarbageInTheSlotsNeverBlocksForLong) {
  std::fill(memory_.begin(), memory_.end(), ~std::uint64_t{0});
  ResolvedCombo c = resolve("/+combo/rev100/", "css/a.css&css/b.css", "br");
  EXPECT_EQ(choose_combo_body(&c, &cache_bodies_, slots_, 2, false).plan, ComboPlan::compress);
}

TEST(ComboDefaults, OneMegabyteAndOneCompressor) {
  EXPECT_EQ(kComboDefaultMaxBytes, 1u << 20);
  EXPECT_EQ(kComboDefaultCompressors, 1u);
}

// ---- the cache -------------------------------------------------------------------

Sha256 key(std::uint8_t b) {
  Sha256 k;
  k.fill(b);
  return k;
}

TEST(ComboCache, BoundedByBytesEvictingLeastRecentlyUsed) {
  ComboCache cache(300);
  cache.put(key(1), std::make_shared<const std::string>(100, 'a'));
  cache.put(key(2), std::make_shared<const std::string>(100, 'b'));
  cache.put(key(3), std::make_shared<const std::string>(100, 'c'));
  EXPECT_EQ(cache.bytes(), 300u);
  ASSERT_NE(cache.get(key(1)), nullptr);  // 1 is now the most recent
  cache.put(key(4), std::make_shared<const std::string>(150, 'd'));
  EXPECT_EQ(cache.get(key(2)), nullptr);
  EXPECT_EQ(cache.get(key(3)), nullptr);
  EXPECT_NE(cache.get(key(1)), nullptr);
  EXPECT_NE(cache.get(key(4)), nullptr);
  EXPECT_EQ(cache.bytes(), 250u);
  EXPECT_EQ(cache.entries(), 2u);
}

TEST(ComboCache, TooLargeOrZeroCapacityKeepsNothing) {
  ComboCache cache(100);
  cache.put(key(1), std::make_shared<const std::string>(101, 'a'));
  EXPECT_EQ(cache.entries(), 0u);
  ComboCache off(0);
  off.put(key(1), std::make_shared<const std::string>(1, 'a'));
  EXPECT_EQ(off.get(key(1)), nullptr);
  EXPECT_EQ(off.misses(), 1u);
}

TEST(ComboCache, EntriesOutliveEviction) {
  ComboCache cache(10);
  cache.put(key(1), std::make_shared<const std::string>("0123456789"));
  std::shared_ptr<const std::string> held = cache.get(key(1));
  cache.put(key(2), std::make_shared<const std::string>("abcdefghij"));
  EXPECT_EQ(cache.get(key(1)), nullptr);
  EXPECT_EQ(*held, "0123456789");  // a response still sending it keeps it alive
}

}  // namespace
