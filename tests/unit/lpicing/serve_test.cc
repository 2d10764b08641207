// Unit tests of the serving core: request paths, Accept-Encoding, header
// values, the IndexCache against a real store in a temp directory, and the
// status document.
#include "serve.h"
#include "lpicing_test_util.h"
#include "store_layout.h"
#include "store_report.h"
#include "text.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace lpicing {
namespace {

// ---- Request paths ----

TEST(RequestPath, VersionedUrl) {
  RequestPath p = parse_request_path("/rev42/css/a.css");
  EXPECT_EQ(p.kind, PathKind::versioned);
  EXPECT_EQ(p.revision, "42");
  EXPECT_EQ(p.file, "css/a.css");
}

TEST(RequestPath, VersionedUrlWithEveryIdCharacter) {
  RequestPath p = parse_request_path("/revA1._-z/x");
  EXPECT_EQ(p.kind, PathKind::versioned);
  EXPECT_EQ(p.revision, "A1._-z");
  EXPECT_EQ(p.file, "x");
  std::string longest = "/rev" + std::string(64, 'a') + "/x";
  EXPECT_EQ(parse_request_path(longest).kind, PathKind::versioned);
}

TEST(RequestPath, CurrentUrl) {
  RequestPath p = parse_request_path("/css/a.css");
  EXPECT_EQ(p.kind, PathKind::current);
  EXPECT_TRUE(p.revision.empty());
  EXPECT_EQ(p.file, "css/a.css");
  EXPECT_EQ(parse_request_path("/a.css").file, "a.css");
}

TEST(RequestPath, TopLevelFileStartingWithRevIsCurrent) {
  RequestPath p = parse_request_path("/revolution.css");
  EXPECT_EQ(p.kind, PathKind::current);
  EXPECT_EQ(p.file, "revolution.css");
  EXPECT_EQ(parse_request_path("/rev42").kind, PathKind::current);
  EXPECT_EQ(parse_request_path("/Rev42/a.css").kind, PathKind::current);  // case-sensitive prefix
}

TEST(RequestPath, RevisionNamesInsideThePathAreJustDirectories) {
  RequestPath p = parse_request_path("/css/rev42/a.css");
  EXPECT_EQ(p.kind, PathKind::current);
  EXPECT_EQ(p.file, "css/rev42/a.css");
  p = parse_request_path("/rev1/rev2/a.css");
  EXPECT_EQ(p.kind, PathKind::versioned);
  EXPECT_EQ(p.revision, "1");
  EXPECT_EQ(p.file, "rev2/a.css");
}

void expect_not_found(std::string_view path) {
  RequestPath p = parse_request_path(path);
  EXPECT_EQ(p.kind, PathKind::not_found) << "path: " << std::string(path);
  EXPECT_TRUE(p.file.empty());
}

TEST(RequestPath, EmptyOrRelativeIsNotFound) {
  expect_not_found("");
  expect_not_found("/");
  expect_not_found("css/a.css");
  expect_not_found("/rev42/");
}

TEST(RequestPath, DirectoriesAreNotFound) {
  expect_not_found("/css/");
  expect_not_found("/rev42/css/");
  expect_not_found("/css//a.css");
  expect_not_found("//css/a.css");
}

TEST(RequestPath, DotComponentsAreNotFound) {
  expect_not_found("/.");
  expect_not_found("/..");
  expect_not_found("/../a.css");
  expect_not_found("/css/../a.css");
  expect_not_found("/rev42/../rev43/a.css");
  expect_not_found("/rev42/./a.css");
  expect_not_found("/rev42/css/..");
}

TEST(RequestPath, HiddenFilesAreNotFound) {
  expect_not_found("/.htaccess");
  expect_not_found("/css/.hidden.css");
  expect_not_found("/rev42/.git/config");
  expect_not_found("/.well-known/x");
}

TEST(RequestPath, BackslashIsNotFound) {
  expect_not_found("/css\\a.css");
  expect_not_found("/..\\..\\etc\\passwd");
  expect_not_found("/rev42/..\\a");
}

TEST(RequestPath, ControlBytesAreNotFound) {
  expect_not_found("/a\nb.css");
  expect_not_found("/a\rb.css");
  expect_not_found("/a\tb.css");
  expect_not_found("/a\x7f.css");
  expect_not_found("/a\x01.css");
  expect_not_found(std::string_view("/a.css\0.png", 11));  // NUL inside the view
  expect_not_found(std::string_view("/rev42/a\0", 9));
}

TEST(RequestPath, OverlongPathsAreNotFound) {
  std::string ok = "/" + std::string(200, 'd') + "/" + std::string(200, 'd') + "/" + std::string(200, 'd') + "/" +
                   std::string(200, 'd') + "/" + std::string(200, 'd') + "/" + std::string(19, 'f');
  ASSERT_EQ(ok.size() - 1, 1024u);
  EXPECT_EQ(parse_request_path(ok).kind, PathKind::current);
  expect_not_found(ok + "x");
  expect_not_found("/" + std::string(256, 'a'));  // one component over 255
  EXPECT_EQ(parse_request_path("/" + std::string(255, 'a')).kind, PathKind::current);
}

TEST(RequestPath, BadRevisionIdsAreNotFound) {
  expect_not_found("/rev/a.css");
  expect_not_found("/rev../a.css");
  expect_not_found("/rev.x/a.css");
  expect_not_found("/rev-x/a.css");
  expect_not_found("/rev_x/a.css");
  expect_not_found("/rev4%2/a.css");
  expect_not_found("/rev4 2/a.css");
  expect_not_found("/rev" + std::string(65, 'a') + "/a.css");
}

TEST(RequestPath, UndecodedInputStaysInsideTheRevision) {
  // Not decoded again: these are odd but harmless file names, never traversal.
  RequestPath p = parse_request_path("/rev42/%2e%2e/%2e%2e/etc/passwd");
  EXPECT_EQ(p.kind, PathKind::versioned);
  EXPECT_EQ(p.file, "%2e%2e/%2e%2e/etc/passwd");
  EXPECT_EQ(parse_request_path("/a%00.css").file, "a%00.css");
}

// ---- Accept-Encoding ----

Encoding ae(std::string_view header, bool br = true, bool gzip = true) {
  return negotiate_encoding(header, br, gzip);
}

TEST(AcceptEncoding, NoHeaderOrEmptyMeansIdentity) {
  EXPECT_EQ(ae(""), Encoding::identity);
  EXPECT_EQ(ae("   "), Encoding::identity);
  EXPECT_EQ(ae(",,"), Encoding::identity);
}

TEST(AcceptEncoding, BrowserDefaultsPreferBr) {
  EXPECT_EQ(ae("gzip, deflate, br"), Encoding::br);
  EXPECT_EQ(ae("gzip, deflate, br, zstd"), Encoding::br);
  EXPECT_EQ(ae("gzip, deflate"), Encoding::gzip);
  EXPECT_EQ(ae("deflate, zstd"), Encoding::identity);
}

TEST(AcceptEncoding, HighestQWins) {
  EXPECT_EQ(ae("br;q=0.5, gzip;q=0.8"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=0.9, gzip;q=0.8"), Encoding::br);
  EXPECT_EQ(ae("br;q=0.001, gzip;q=0"), Encoding::br);
  EXPECT_EQ(ae("br;q=0.5, identity"), Encoding::identity);
  EXPECT_EQ(ae("gzip;q=0.3, identity;q=0.4"), Encoding::identity);
}

TEST(AcceptEncoding, TiesPreferBrThenGzipThenIdentity) {
  EXPECT_EQ(ae("gzip, br"), Encoding::br);
  EXPECT_EQ(ae("gzip;q=0.5, br;q=0.5"), Encoding::br);
  EXPECT_EQ(ae("identity;q=0.5, gzip;q=0.5"), Encoding::gzip);
  EXPECT_EQ(ae("*"), Encoding::br);
}

TEST(AcceptEncoding, UnlistedIdentityRanksBelowAnyListedCoding) {
  EXPECT_EQ(ae("gzip;q=0.001"), Encoding::gzip);
}

TEST(AcceptEncoding, QZeroRefuses) {
  EXPECT_EQ(ae("br;q=0, gzip"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=0, gzip;q=0"), Encoding::identity);
  EXPECT_EQ(ae("br;q=0.000"), Encoding::identity);
}

TEST(AcceptEncoding, Star) {
  EXPECT_EQ(ae("*;q=0.5, br;q=0.1"), Encoding::gzip);  // * covers the unlisted gzip
  EXPECT_EQ(ae("*;q=0.5", false, false), Encoding::identity);
  EXPECT_EQ(ae("*;q=0, gzip"), Encoding::gzip);
  EXPECT_EQ(ae("*;q=0, identity;q=0.5"), Encoding::identity);
}

TEST(AcceptEncoding, NothingAcceptableStillServesIdentity) {
  EXPECT_EQ(ae("identity;q=0"), Encoding::identity);
  EXPECT_EQ(ae("*;q=0"), Encoding::identity);
  EXPECT_EQ(ae("identity;q=0", false, false), Encoding::identity);
  EXPECT_EQ(ae("identity;q=0, gzip"), Encoding::gzip);
  EXPECT_EQ(ae("*;q=0, br"), Encoding::br);
}

TEST(AcceptEncoding, CodingsAreCaseInsensitive) {
  EXPECT_EQ(ae("BR"), Encoding::br);
  EXPECT_EQ(ae("GZip"), Encoding::gzip);
  EXPECT_EQ(ae("X-GZIP"), Encoding::gzip);
  EXPECT_EQ(ae("br;Q=0, gzip"), Encoding::gzip);
  EXPECT_EQ(ae("IDENTITY;q=1, gzip;q=0.5"), Encoding::identity);
}

TEST(AcceptEncoding, XGzipIsGzip) {
  EXPECT_EQ(ae("x-gzip", true, true), Encoding::gzip);
  EXPECT_EQ(ae("x-gzip;q=0.5, br;q=0.4"), Encoding::gzip);
}

TEST(AcceptEncoding, WhitespaceIsAllowedWhereRfcAllowsIt) {
  EXPECT_EQ(ae("  gzip  ;  q=0.5 ,\tbr ; q=0.4  "), Encoding::gzip);
  EXPECT_EQ(ae("br\t;\tq=1"), Encoding::br);
}

TEST(AcceptEncoding, MalformedMembersAreIgnored) {
  // Ignored as if absent: neither accepted nor refused.
  EXPECT_EQ(ae("br;q=2, gzip"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=1.5, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=0.1234, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=abc, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=-1, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=.5, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=\"1\", gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=1;q=1, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("br q=1, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("b@r, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae(";q=1"), Encoding::identity);
  // A malformed identity;q=0 does not forbid identity.
  EXPECT_EQ(ae("identity;q=0x", false, false), Encoding::identity);
  EXPECT_EQ(ae("identity;q=zero, gzip;q=0.1"), Encoding::gzip);
}

TEST(AcceptEncoding, OtherParametersAreTolerated) {
  EXPECT_EQ(ae("br;level=5, gzip;q=0.1"), Encoding::br);
  EXPECT_EQ(ae("br;x=\"a,b\";q=0.1, gzip;q=0.2"), Encoding::gzip);
  // The comma inside the quoted value does not end the member.
  EXPECT_EQ(ae("gzip;q=0.1, br;x=\"a,b\";q=0.9"), Encoding::br);
  EXPECT_EQ(ae("br;;q=0.3, gzip;q=0.2"), Encoding::br);
}

TEST(AcceptEncoding, QValueBoundaries) {
  EXPECT_EQ(ae("br;q=1.000, gzip;q=0.999"), Encoding::br);
  EXPECT_EQ(ae("br;q=1.001, gzip;q=0.999"), Encoding::gzip);  // malformed br ignored
  EXPECT_EQ(ae("br;q=0.998, gzip;q=0.999"), Encoding::gzip);
  EXPECT_EQ(ae("br;q=0., gzip;q=0.001"), Encoding::gzip);  // "0." is q=0
  EXPECT_EQ(ae("br;q=1., gzip;q=0.999"), Encoding::br);
}

TEST(AcceptEncoding, FirstMentionOfACodingCounts) {
  EXPECT_EQ(ae("br;q=0, br;q=1, gzip;q=0.1"), Encoding::gzip);
  EXPECT_EQ(ae("gzip;q=0, x-gzip", false, true), Encoding::identity);
}

TEST(AcceptEncoding, OnlyAvailableVariantsAreChosen) {
  EXPECT_EQ(ae("br", false, true), Encoding::identity);
  EXPECT_EQ(ae("br, gzip;q=0.1", false, true), Encoding::gzip);
  EXPECT_EQ(ae("gzip", true, false), Encoding::identity);
  EXPECT_EQ(ae("br, gzip", false, false), Encoding::identity);
}

TEST(AcceptEncoding, GarbageAndHugeHeaders) {
  std::string huge;
  for (int i = 0; i < 100000; ++i) huge += "foo;q=0.5, ";
  huge += "gzip;q=0.1";
  EXPECT_EQ(ae(huge), Encoding::gzip);
  std::string commas(1 << 20, ',');
  EXPECT_EQ(ae(commas), Encoding::identity);
  std::string semis = "br" + std::string(1 << 20, ';');
  EXPECT_EQ(ae(semis), Encoding::br);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(ae(bytes + bytes), Encoding::identity);
  EXPECT_EQ(ae("br;x=\"unterminated, gzip"), Encoding::identity);
  EXPECT_EQ(ae("br;x=\"esc\\"), Encoding::identity);
}

TEST(ChooseVariant, PicksTheEntryVariant) {
  IndexEntry e;
  e.path = "a.css";
  EXPECT_EQ(choose_variant(e, "br, gzip"), nullptr);
  e.variants.push_back({Encoding::gzip, 5, {}});
  e.variants.push_back({Encoding::br, 4, {}});
  const Variant* v = choose_variant(e, "gzip, br");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->encoding, Encoding::br);
  EXPECT_EQ(v->size, 4u);
  v = choose_variant(e, "gzip");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->encoding, Encoding::gzip);
  EXPECT_EQ(choose_variant(e, ""), nullptr);
  EXPECT_EQ(choose_variant(e, "identity"), nullptr);
}

// ---- Header values and file names ----

TEST(Etag, QuotedFirst32LowercaseHexDigits) {
  Sha256 sha;
  for (std::size_t i = 0; i < sha.size(); ++i) sha[i] = static_cast<std::uint8_t>(0xA0 + i);
  auto etag = format_etag(sha);
  EXPECT_STREQ(etag.data(), "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"");
  EXPECT_EQ(std::string(etag.data()).size(), kETagLength);
  Sha256 zero{};
  EXPECT_STREQ(format_etag(zero).data(), "\"00000000000000000000000000000000\"");
  Sha256 ff;
  ff.fill(0xff);
  EXPECT_STREQ(format_etag(ff).data(), "\"ffffffffffffffffffffffffffffffff\"");
}

TEST(CacheControl, Values) {
  EXPECT_EQ(kCacheControlVersioned, "public, max-age=31536000, immutable");
  EXPECT_EQ(kCacheControlNotFound, "no-store");
  EXPECT_EQ(cache_control_current(300), "public, max-age=300");
  EXPECT_EQ(cache_control_current(0), "public, max-age=0");
  EXPECT_EQ(cache_control_current(-7), "public, max-age=0");
}

TEST(VariantPath, SuffixPerEncoding) {
  EXPECT_EQ(layout::variant_path("css/a.css", Encoding::br), "css/a.css.br");
  EXPECT_EQ(layout::variant_path("css/a.css", Encoding::gzip), "css/a.css.gz");
  EXPECT_EQ(layout::variant_path("css/a.css", Encoding::identity), "css/a.css");
  EXPECT_EQ(content_encoding(Encoding::br), "br");
  EXPECT_EQ(content_encoding(Encoding::gzip), "gzip");
  EXPECT_TRUE(content_encoding(Encoding::identity).empty());
}

TEST(StorePaths, FilesAndIndex) {
  EXPECT_EQ(layout::served_file_path("/srv/icing", "42", "css/a.css", Encoding::identity),
            "/srv/icing/revisions/42/files/css/a.css");
  EXPECT_EQ(layout::served_file_path("/srv/icing/", "42", "css/a.css", Encoding::br),
            "/srv/icing/revisions/42/files/css/a.css.br");
  EXPECT_EQ(layout::served_file_path("/srv/icing", "r1", "a.js", Encoding::gzip), "/srv/icing/revisions/r1/files/a.js.gz");
  EXPECT_EQ(layout::index_path("/srv/icing//", "42"), "/srv/icing/revisions/42/INDEX");
  EXPECT_EQ(layout::index_path("/", "42"), "/revisions/42/INDEX");
}

TEST(RevisionId, Regex) {
  EXPECT_TRUE(is_valid_revision_id("a"));
  EXPECT_TRUE(is_valid_revision_id("2024-01-01_1.2"));
  EXPECT_TRUE(is_valid_revision_id(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_revision_id(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_revision_id(""));
  EXPECT_FALSE(is_valid_revision_id(".a"));
  EXPECT_FALSE(is_valid_revision_id("-a"));
  EXPECT_FALSE(is_valid_revision_id("_a"));
  EXPECT_FALSE(is_valid_revision_id("a/b"));
  EXPECT_FALSE(is_valid_revision_id("a b"));
  EXPECT_FALSE(is_valid_revision_id(std::string_view("a\0", 2)));
}

// ---- A real store in a temp directory ----

class TempStore : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lpicing-serve-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_EQ(::mkdir((root_ + "/revisions").c_str(), 0755), 0);
  }
  void TearDown() override { remove_tree(root_); }

  static void remove_tree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      if (DIR* d = ::opendir(path.c_str())) {
        while (struct dirent* e = ::readdir(d)) {
          std::string name = e->d_name;
          if (name != "." && name != "..") remove_tree(path + "/" + name);
        }
        ::closedir(d);
      }
      ::rmdir(path.c_str());
    } else {
      ::unlink(path.c_str());
    }
  }

  static void write_file(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }

  static Sha256 sha(std::uint8_t b) {
    Sha256 s;
    s.fill(b);
    return s;
  }

  // Publishes revision `rev` with the given files (written through a rename,
  // as deploy does, so a re-deploy gets a new inode).
  void deploy(const std::string& rev, std::int64_t deployed, std::vector<IndexEntry> entries,
              char sums_digit = 'a') {
    std::string dir = root_ + "/revisions/" + rev;
    ::mkdir(dir.c_str(), 0755);
    ::mkdir((dir + "/files").c_str(), 0755);
    IndexHeader h;
    h.revision = rev;
    h.deployed = deployed;
    h.sums_sha256_hex = std::string(64, sums_digit);
    write_file(dir + "/INDEX.tmp", serialize_index(h, std::move(entries)));
    ASSERT_EQ(::rename((dir + "/INDEX.tmp").c_str(), (dir + "/INDEX").c_str()), 0);
  }

  static IndexEntry file(std::string path, std::uint64_t size, std::uint8_t sha_byte) {
    IndexEntry e;
    e.path = std::move(path);
    e.size = size;
    e.sha256 = sha(sha_byte);
    e.mtime = 1600000000;
    return e;
  }

  void set_current(const std::string& target) {
    ::unlink((root_ + "/current").c_str());
    ASSERT_EQ(::symlink(target.c_str(), (root_ + "/current").c_str()), 0);
  }

  std::string root_;
};

using IndexCacheTest = TempStore;

TEST_F(IndexCacheTest, LoadsThenHits) {
  deploy("42", 100, {file("a.css", 3, 1)});
  IndexCache cache;
  std::string error;
  auto first = lpicing_test::cached_index(cache, root_, "42", &error);
  ASSERT_NE(first, nullptr) << error;
  EXPECT_TRUE(error.empty());
  EXPECT_NE(first->find("a.css"), nullptr);
  auto second = lpicing_test::cached_index(cache, root_, "42", &error);
  EXPECT_EQ(second.get(), first.get());  // same parsed object, not a re-read
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(IndexCacheTest, UnknownOrInvalidRevisionIsNullWithoutError) {
  IndexCache cache;
  std::string error = "stale";
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "nope", &error), nullptr);
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "../etc", &error), nullptr);
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "", &error), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(IndexCacheTest, PrunedRevisionIsEvicted) {
  deploy("42", 100, {file("a.css", 3, 1)});
  IndexCache cache;
  ASSERT_NE(lpicing_test::cached_index(cache, root_, "42", nullptr), nullptr);
  remove_tree(root_ + "/revisions/42");
  std::string error;
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "42", &error), nullptr);
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(IndexCacheTest, RedeployedRevisionIsReloaded) {
  deploy("42", 100, {file("a.css", 3, 1)});
  IndexCache cache;
  auto before = lpicing_test::cached_index(cache, root_, "42", nullptr);
  ASSERT_NE(before, nullptr);
  remove_tree(root_ + "/revisions/42");
  deploy("42", 200, {file("a.css", 3, 1)});  // identical content, new inode
  auto after = lpicing_test::cached_index(cache, root_, "42", nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_NE(after.get(), before.get());
  EXPECT_EQ(after->header().deployed, 200);
  EXPECT_EQ(before->header().deployed, 100);  // holders of the old one are unaffected
}

TEST_F(IndexCacheTest, MalformedIndexIsAnErrorAndTheFailureIsCached) {
  ::mkdir((root_ + "/revisions/bad").c_str(), 0755);
  write_file(root_ + "/revisions/bad/INDEX", "lpicing-index 1\nrevision\tbad\n");
  IndexCache cache;
  std::string error;
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "bad", &error), nullptr);
  EXPECT_NE(error.find("revisions/bad/INDEX"), std::string::npos) << error;
  std::string again;
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "bad", &again), nullptr);
  EXPECT_EQ(again, error);
  EXPECT_EQ(cache.size(), 1u);
  // Fixed by a re-deploy: picked up at once.
  deploy("bad", 1, {file("a", 1, 1)});
  EXPECT_NE(lpicing_test::cached_index(cache, root_, "bad", &error), nullptr) << error;
}

TEST_F(IndexCacheTest, IndexOfAnotherRevisionIsRefused) {
  deploy("42", 100, {file("a.css", 3, 1)});
  ::mkdir((root_ + "/revisions/43").c_str(), 0755);
  ASSERT_EQ(::link((root_ + "/revisions/42/INDEX").c_str(), (root_ + "/revisions/43/INDEX").c_str()), 0);
  IndexCache cache;
  std::string error;
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "43", &error), nullptr);
  EXPECT_NE(error.find("revision 42"), std::string::npos) << error;
}

TEST_F(IndexCacheTest, BoundedByCapacityEvictingLeastRecentlyUsed) {
  for (int i = 0; i < 4; ++i) deploy("r" + std::to_string(i), i, {file("a", 1, 1)});
  IndexCache cache(3);
  auto r0 = lpicing_test::cached_index(cache, root_, "r0", nullptr);
  ASSERT_NE(lpicing_test::cached_index(cache, root_, "r1", nullptr), nullptr);
  ASSERT_NE(lpicing_test::cached_index(cache, root_, "r2", nullptr), nullptr);
  ASSERT_EQ(lpicing_test::cached_index(cache, root_, "r0", nullptr), r0);  // r0 now most recent, r1 least
  ASSERT_NE(lpicing_test::cached_index(cache, root_, "r3", nullptr), nullptr);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "r0", nullptr), r0);  // kept
  EXPECT_EQ(cache.size(), 3u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(IndexCacheTest, SeveralStoresShareOneCache) {
  deploy("42", 100, {file("a.css", 3, 1)});
  IndexCache cache;
  EXPECT_NE(lpicing_test::cached_index(cache, root_, "42", nullptr), nullptr);
  EXPECT_EQ(lpicing_test::cached_index(cache, root_ + "/revisions", "42", nullptr), nullptr);
}

TEST_F(IndexCacheTest, ConcurrentLookupsAgree) {
  deploy("42", 100, {file("a.css", 3, 1)});
  deploy("43", 101, {file("b.css", 3, 1)});
  IndexCache cache(1);  // forces evictions and reloads under contention
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const char* rev = (i + t) % 2 ? "42" : "43";
        auto index = lpicing_test::cached_index(cache, root_, rev, nullptr);
        if (!index || index->header().revision != rev) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

using CurrentRevisionTest = TempStore;

TEST_F(CurrentRevisionTest, ReadsTheRelativeSymlink) {
  deploy("42", 100, {});
  set_current("revisions/42");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "42");
  EXPECT_EQ(layout::read_revision_link(root_ + "/", layout::kCurrent), "42");
}

TEST_F(CurrentRevisionTest, AcceptsAnAbsoluteLinkIntoRevisions) {
  set_current(root_ + "/revisions/43/");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "43");
}

TEST_F(CurrentRevisionTest, MissingOrGarbageLinkIsEmpty) {
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("nowhere");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("/etc");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("revisions/..");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("revisions/.hidden");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("other/42");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("xrevisions/42");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  set_current("revisions/" + std::string(65, 'a'));
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
  EXPECT_EQ(layout::read_revision_link(root_ + "/nonexistent", layout::kCurrent), "");
}

TEST_F(CurrentRevisionTest, DanglingLinkToARevisionNamesItAndTheLookupFindsNothing) {
  set_current("revisions/gone");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "gone");
  IndexCache cache;
  std::string error;
  EXPECT_EQ(lpicing_test::cached_index(cache, root_, "gone", &error), nullptr);
  EXPECT_TRUE(error.empty());
}

TEST_F(CurrentRevisionTest, CurrentAsARegularFileIsEmpty) {
  write_file(root_ + "/current", "revisions/42");
  EXPECT_EQ(layout::read_revision_link(root_, layout::kCurrent), "");
}

using ResolveTest = TempStore;

TEST_F(ResolveTest, VersionedFileWithVariant) {
  IndexEntry css = file("css/a.css", 100, 1);
  css.variants.push_back({Encoding::br, 30, sha(2)});
  css.variants.push_back({Encoding::gzip, 40, sha(3)});
  deploy("42", 100, {css, file("img/b.png", 7, 4)});
  IndexCache cache;
  ResolvedFile r = resolve_request(cache, root_, "/rev42/css/a.css", "gzip, br");
  ASSERT_EQ(r.status, ResolveStatus::found) << r.error;
  EXPECT_EQ(r.kind, PathKind::versioned);
  EXPECT_EQ(r.revision, "42");
  EXPECT_EQ(r.encoding, Encoding::br);
  EXPECT_EQ(r.size, 30u);
  EXPECT_EQ(r.sha256, sha(2));
  EXPECT_TRUE(r.vary);
  EXPECT_EQ(r.file, root_ + "/revisions/42/files/css/a.css.br");
  ASSERT_NE(r.entry, nullptr);
  EXPECT_EQ(r.entry->path, "css/a.css");

  r = resolve_request(cache, root_, "/rev42/css/a.css", "");
  EXPECT_EQ(r.encoding, Encoding::identity);
  EXPECT_EQ(r.size, 100u);
  EXPECT_EQ(r.sha256, sha(1));
  EXPECT_TRUE(r.vary);
  EXPECT_EQ(r.file, root_ + "/revisions/42/files/css/a.css");

  r = resolve_request(cache, root_, "/rev42/img/b.png", "br");
  ASSERT_EQ(r.status, ResolveStatus::found);
  EXPECT_FALSE(r.vary);
  EXPECT_EQ(r.encoding, Encoding::identity);
}

TEST_F(ResolveTest, CurrentFollowsTheSymlink) {
  deploy("1", 100, {file("a.css", 1, 1)});
  deploy("2", 200, {file("a.css", 2, 2)});
  set_current("revisions/1");
  IndexCache cache;
  ResolvedFile r = resolve_request(cache, root_, "/a.css", "");
  ASSERT_EQ(r.status, ResolveStatus::found);
  EXPECT_EQ(r.kind, PathKind::current);
  EXPECT_EQ(r.revision, "1");
  EXPECT_EQ(r.size, 1u);
  set_current("revisions/2");
  r = resolve_request(cache, root_, "/a.css", "");
  EXPECT_EQ(r.revision, "2");
  EXPECT_EQ(r.size, 2u);
  EXPECT_EQ(r.file, root_ + "/revisions/2/files/a.css");
}

TEST_F(ResolveTest, NeverAnotherRevisionsFile) {
  deploy("1", 100, {file("only-in-1.css", 1, 1)});
  deploy("2", 200, {file("a.css", 2, 2)});
  set_current("revisions/1");
  IndexCache cache;
  EXPECT_EQ(resolve_request(cache, root_, "/rev2/only-in-1.css", "").status, ResolveStatus::not_found);
  EXPECT_EQ(resolve_request(cache, root_, "/rev3/a.css", "").status, ResolveStatus::not_found);
  EXPECT_EQ(resolve_request(cache, root_, "/a.css", "").status, ResolveStatus::not_found);
}

TEST_F(ResolveTest, NotFoundCases) {
  IndexEntry css = file("a.css", 10, 1);
  css.variants.push_back({Encoding::br, 3, sha(2)});
  deploy("42", 100, {css, file("css/x.css", 1, 1)});
  IndexCache cache;
  for (const char* path : {"/rev42/b.css", "/rev42/css", "/rev42/css/", "/rev42/a.css.br", "/rev42/INDEX",
                           "/rev42/../42/a.css", "/a.css", "", "/rev-/a.css"}) {
    ResolvedFile r = resolve_request(cache, root_, path, "br");
    EXPECT_EQ(r.status, ResolveStatus::not_found) << path;
    EXPECT_TRUE(r.file.empty()) << path;
  }
}

TEST_F(ResolveTest, BrokenIndexIsAnError) {
  ::mkdir((root_ + "/revisions/9").c_str(), 0755);
  write_file(root_ + "/revisions/9/INDEX", "nonsense\n");
  IndexCache cache;
  ResolvedFile r = resolve_request(cache, root_, "/rev9/a.css", "");
  EXPECT_EQ(r.status, ResolveStatus::error);
  EXPECT_FALSE(r.error.empty());
}

// ---- Status ----

TEST(JsonString, Escaping) {
  std::string out;
  lpweb::append_json_string(out, std::string("a\"b\\c\n\x01\x1f\x7f/\xc3\xa9", 12));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\\u001f\\u007f/\xc3\xa9\"");
  out.clear();
  lpweb::append_json_string(out, std::string("x\0y", 3));
  EXPECT_EQ(out, "\"x\\u0000y\"");
  out.clear();
  lpweb::append_json_string(out, "\xff\xc3");  // invalid UTF-8 never reaches the output raw
  EXPECT_EQ(out, "\"\\ufffd\\ufffd\"");
}

using StatusJsonTest = TempStore;

TEST_F(StatusJsonTest, ListsRevisionsNewestFirstWithCurrentMarked) {
  deploy("old", 1700000000, {file("a.css", 10, 1), file("b.js", 5, 2)}, 'b');
  deploy("new", 1700003600, {file("a.css", 11, 1)}, 'c');
  set_current("revisions/old");
  std::string json = store_report_json(read_store_report(root_));
  EXPECT_EQ(json,
            "{\"schema\": 1, \"current\": \"old\", \"previous\": null, \"revisions\": ["
            "{\"revision\": \"new\", \"current\": false, \"previous\": false, \"files\": 1, \"bytes\": 11, "
            "\"deployed\": \"2023-11-14T23:13:20Z\", \"deployed_unix\": 1700003600, \"sha256sums\": \"" +
                std::string(64, 'c') + "\"}, "
            "{\"revision\": \"old\", \"current\": true, \"previous\": false, \"files\": 2, \"bytes\": 15, "
            "\"deployed\": \"2023-11-14T22:13:20Z\", \"deployed_unix\": 1700000000, \"sha256sums\": \"" +
                std::string(64, 'b') + "\"}"
            "], \"errors\": []}\n");
}

TEST_F(StatusJsonTest, ReportsBrokenRevisionsAndNoCurrent) {
  deploy("ok", 5, {});
  ::mkdir((root_ + "/revisions/noindex").c_str(), 0755);
  ::mkdir((root_ + "/revisions/broken").c_str(), 0755);
  write_file(root_ + "/revisions/broken/INDEX", "lpicing-index 9\n");
  ::mkdir((root_ + "/revisions/bad\"name\x01").c_str(), 0755);
  ::mkdir((root_ + "/revisions/.hidden").c_str(), 0755);
  IndexCache cache;
  std::string json = store_report_json(read_store_report(root_, &cache));
  EXPECT_EQ(json.find("{\"schema\": 1, \"current\": null, \"previous\": null, \"revisions\": [{\"revision\": \"ok\", "
                      "\"current\": false, \"previous\": false, \"files\": 0, \"bytes\": 0, "
                      "\"deployed\": \"1970-01-01T00:00:05Z\""),
            0u)
      << json;
  EXPECT_NE(json.find("{\"revision\": \"bad\\\"name\\u0001\", \"error\": \"not a valid revision id\"}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"revision\": \"broken\", \"error\": \""), std::string::npos) << json;
  EXPECT_NE(json.find("not an lpicing index"), std::string::npos) << json;
  EXPECT_NE(json.find("{\"revision\": \"noindex\", \"error\": \"INDEX missing\"}"), std::string::npos) << json;
  EXPECT_EQ(json.find("hidden"), std::string::npos) << json;
  EXPECT_EQ(cache.size(), 2u);  // ok and the cached failure of broken
}

TEST_F(StatusJsonTest, MissingStoreIsReported) {
  std::string json = store_report_json(read_store_report(root_ + "/nonexistent"));
  EXPECT_EQ(json.find("{\"schema\": 1, \"current\": null, \"previous\": null, \"revisions\": [], \"errors\": "
                      "[{\"revision\": null, \"error\": \"revisions: No such file or directory\"}]"),
            0u)
      << json;
}

}  // namespace
}  // namespace lpicing
