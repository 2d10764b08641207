// Combo URLs (PREFIX/+combo/rev<R>/?a.css&b.css) against a real httpd, with
// revisions packed and deployed by the real lpicing tool: bodies, encodings,
// caching headers, conditional requests, limits and hostile queries.
#include <gtest/gtest.h>

#include <unistd.h>

#include <map>

#include "client.h"
#include "crypto.h"
#include "decode.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

std::string css_for(const std::string& marker, int rules = 120) {
  std::string css = "/* " + marker + " */\n";
  for (int i = 0; i < rules; ++i) css += "." + marker.substr(0, 1) + "-rule-" + std::to_string(i) + " { color: #123456; }\n";
  return css;
}

using lpweb_test::brotli_decode;
using lpweb_test::gzip_decode;

// The ETag the README documents: SHA-256 over the tag, the coding and the
// members' SHA-256s, first 128 bits in hex.
std::string combo_etag(const std::vector<std::string>& contents, const std::string& coding) {
  lpicing::Sha256Hasher h;
  std::string head = "lpicing-combo 1\n" + coding + "\n" + std::to_string(contents.size()) + "\n";
  h.update(head.data(), head.size());
  for (const std::string& c : contents) {
    lpicing::Sha256 sha = lpicing::sha256_of(c);
    h.update(sha.data(), sha.size());
  }
  return "\"" + lpicing::to_hex(h.finish()).substr(0, 32) + "\"";
}

// The source tree of revision `rev`.
Files files_of(const std::string& rev) {
  std::string png = "\x89PNG\r\n\x1a\n";
  for (int i = 0; i < 300; ++i) png.push_back(static_cast<char>((i * 131) & 0xff));
  return {{"css/a.css", css_for("alpha " + rev)},
          {"css/b.css", css_for("beta " + rev)},
          {"css/small one.css", "p{margin:0}\n"},
          {"css/x.css", "x{}"},
          {"css/.hidden.css", "hidden{}\n"},
          {"js/one.js", "var one = '" + rev + "';\n" + std::string(400, ' ') + "\n"},
          {"js/lib/two.js", "var two = 2;\n// no newline at the end"},
          {"js/" + rev + "-only.js", "var only = 1;\n"},
          {"img/logo.png", png}};
}

// The store is the tester's: the tool makes it at the first deploy.
class ComboTest : public IcingSiteTest {
 protected:
  ComboTest() : IcingSiteTest(StoreOwner::tester) {}
  void deploy(const std::string& rev, std::vector<std::string> extra = {}) {
    site_->deploy_revision(rev, files_of(rev), std::move(extra));
  }
  // What the test wrote for `path` into revision `rev`'s source tree: bodies are
  // checked against it, never against what the deploy put in the store.
  const std::string& source(const std::string& rev, const std::string& path) const {
    return site_->source_file(rev, path);
  }
};

constexpr const char kAB[] = "/+icing/+combo/rev100/?css/a.css&css/b.css";

// ---- bodies and headers ------------------------------------------------------------

TEST_F(ComboTest, VersionedComboIsTheConcatenationWithImmutableCaching) {
  deploy("100");
  start();
  Response r = site_->get(kAB);
  ASSERT_EQ(r.status, 200) << r.error;
  const std::string a = source("100", "css/a.css"), b = source("100", "css/b.css");
  EXPECT_EQ(r.body, a + b);
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.header("content-type"), "text/css");
  EXPECT_EQ(r.header("etag"), combo_etag({a, b}, "identity"));
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.header("content-length"), std::to_string(a.size() + b.size()));
  EXPECT_FALSE(r.header("last-modified").empty());
  EXPECT_EQ(r.header_count("content-encoding"), 0);
}

TEST_F(ComboTest, MembersComeInRequestOrderWithRepeatsAndEscapes) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/+combo/rev100/?js/lib/two.js&js/one.js&js/lib/two.js");
  ASSERT_EQ(r.status, 200);
  const std::string one = source("100", "js/one.js"), two = source("100", "js/lib/two.js");
  EXPECT_EQ(r.body, two + one + two);
  EXPECT_EQ(r.header("content-type"), "text/javascript");
  Response escaped = site_->get("/+icing/+combo/rev100/?css/small%20one.css&css%2Fx.css");
  EXPECT_EQ(escaped.status, 404);  // an escaped '/' names no file, as in paths
  escaped = site_->get("/+icing/+combo/rev100/?css/small%20one.css&css/x.css");
  ASSERT_EQ(escaped.status, 200);
  EXPECT_EQ(escaped.body, "p{margin:0}\nx{}");
  EXPECT_EQ(escaped.header_count("vary"), 0);  // 15 bytes: never compressed
}

TEST_F(ComboTest, BrotliAndGzipDecodeToTheConcatenation) {
  deploy("100");
  start();
  const std::string ab = source("100", "css/a.css") + source("100", "css/b.css");
  Response br = site_->get(kAB, {"Accept-Encoding: gzip, deflate, br"});
  ASSERT_EQ(br.status, 200);
  EXPECT_EQ(br.header("content-encoding"), "br");
  EXPECT_EQ(brotli_decode(br.body), ab);
  EXPECT_LT(br.body.size(), ab.size() / 4);
  EXPECT_EQ(br.header("content-length"), std::to_string(br.body.size()));
  EXPECT_EQ(br.header("etag"), combo_etag({source("100", "css/a.css"), source("100", "css/b.css")},
                                          "br;quality=5;lgwin=22"));
  EXPECT_EQ(br.header("vary"), "Accept-Encoding");
  EXPECT_EQ(br.header("content-type"), "text/css");

  Response gz = site_->get(kAB, {"Accept-Encoding: gzip"});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gzip_decode(gz.body), ab);
  EXPECT_NE(gz.header("etag"), br.header("etag"));
  EXPECT_NE(gz.header("etag"), site_->get(kAB).header("etag"));

  // Served again (from the child's cache or compressed anew): the same bytes.
  for (int i = 0; i < 5; ++i) {
    Response again = site_->get(kAB, {"Accept-Encoding: br"});
    EXPECT_EQ(again.body, br.body);
    EXPECT_EQ(again.header("etag"), br.header("etag"));
  }
}

TEST_F(ComboTest, WithoutTheCacheCompressedCombosAreStillRight) {
  deploy("100");
  start("LPIcingComboCacheBytes 0\n");
  const std::string ab = source("100", "css/a.css") + source("100", "css/b.css");
  Response first = site_->get(kAB, {"Accept-Encoding: br"});
  Response second = site_->get(kAB, {"Accept-Encoding: br"});
  EXPECT_EQ(brotli_decode(first.body), ab);
  EXPECT_EQ(second.body, first.body);
}

TEST_F(ComboTest, NonTextCombosAreNeverEncoded) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/+combo/rev100/?img/logo.png&img/logo.png", {"Accept-Encoding: br, gzip"});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "image/png");
  EXPECT_EQ(r.header_count("content-encoding"), 0);
  EXPECT_EQ(r.header_count("vary"), 0);
  EXPECT_EQ(r.body, source("100", "img/logo.png") + source("100", "img/logo.png"));
}

// ---- conditional requests, HEAD, Range --------------------------------------------------

TEST_F(ComboTest, IfNoneMatchGives304ForEachEncoding) {
  deploy("100");
  start();
  for (const char* ae : {"Accept-Encoding: identity", "Accept-Encoding: br", "Accept-Encoding: gzip"}) {
    std::string etag = site_->get(kAB, {ae}).header("etag");
    Response r = site_->get(kAB, {ae, "If-None-Match: " + etag});
    EXPECT_EQ(r.status, 304) << ae;
    EXPECT_EQ(r.body, "") << ae;
    EXPECT_EQ(r.header("etag"), etag) << ae;
    EXPECT_EQ(site_->get(kAB, {ae, "If-None-Match: \"other\""}).status, 200) << ae;
  }
  // An ETag of one coding does not validate another.
  std::string br_etag = site_->get(kAB, {"Accept-Encoding: br"}).header("etag");
  EXPECT_EQ(site_->get(kAB, {"Accept-Encoding: gzip", "If-None-Match: " + br_etag}).status, 200);
}

TEST_F(ComboTest, IfModifiedSinceGives304) {
  deploy("100");
  start();
  std::string lm = site_->get(kAB).header("last-modified");
  EXPECT_EQ(site_->get(kAB, {"If-Modified-Since: " + lm}).status, 304);
}

// One event-MPM child: every request sees the same per-child combo cache.
constexpr const char kOneChild[] =
    "StartServers 1\nServerLimit 1\nThreadsPerChild 8\nMaxRequestWorkers 8\nMinSpareThreads 1\nMaxSpareThreads 16\n";

RawResponse head_request(int port, const std::string& target, const std::string& accept) {
  return raw_request(port, "HEAD " + target + " HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: " + accept +
                               "\r\nConnection: close\r\n\r\n");
}

TEST_F(ComboTest, HeadHasTheHeadersOfGetButNoBody) {
  deploy("100");
  start(kOneChild);
  for (const char* ae : {"identity", "br"}) {
    Response full = site_->get(kAB, {std::string("Accept-Encoding: ") + ae});  // br: compressed and cached
    RawResponse head = head_request(site_->port(), kAB, ae);
    ASSERT_EQ(head.status, 200) << head.raw;
    EXPECT_EQ(head.header("content-encoding"), full.header("content-encoding")) << ae;
    EXPECT_EQ(head.header("content-length"), std::to_string(full.body.size())) << ae;
    EXPECT_EQ(head.header("etag"), full.header("etag")) << ae;
    EXPECT_EQ(head.raw.substr(head.raw.find("\r\n\r\n") + 4), "") << ae;
  }
}

TEST_F(ComboTest, HeadOfAnUncachedComboIsIdentityAndCompressesNothing) {
  deploy("100");
  start(kOneChild);
  const std::string a = source("100", "css/a.css"), b = source("100", "css/b.css");
  RawResponse head = head_request(site_->port(), kAB, "br, gzip");
  ASSERT_EQ(head.status, 200) << head.raw;
  EXPECT_EQ(head.header_count("content-encoding"), 0);
  EXPECT_EQ(head.header("content-length"), std::to_string(a.size() + b.size()));
  EXPECT_EQ(head.header("etag"), combo_etag({a, b}, "identity"));
  EXPECT_EQ(head.header("vary"), "Accept-Encoding");
  // Nor did it fill the cache: a second HEAD is identity too.
  EXPECT_EQ(head_request(site_->port(), kAB, "br, gzip").header_count("content-encoding"), 0);
}

// ---- bounded compression (LPIcingComboCompressors) -------------------------------------

TEST_F(ComboTest, ZeroCompressorsSendIdentityWithVary) {
  deploy("100");
  start("LPIcingComboCompressors 0\n");
  // What the test wrote, not what the store holds: the bytes must be the sources'.
  const std::string expected = css_for("alpha 100") + css_for("beta 100");
  for (int i = 0; i < 3; ++i) {
    Response r = site_->get(kAB, {"Accept-Encoding: br, gzip"});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, expected);
    EXPECT_EQ(r.header_count("content-encoding"), 0);
    EXPECT_EQ(r.header("vary"), "Accept-Encoding");
    EXPECT_EQ(r.header("etag"), combo_etag({css_for("alpha 100"), css_for("beta 100")}, "identity"));
    EXPECT_EQ(r.header("content-length"), std::to_string(expected.size()));
  }
  // Precompressed files are not combos: still br.
  Response file = site_->get("/+icing/rev100/css/a.css", {"Accept-Encoding: br"});
  EXPECT_EQ(file.header("content-encoding"), "br");
  EXPECT_EQ(brotli_decode(file.body), css_for("alpha 100"));
}

// An uncompressed miss is not compressed by an output filter either (Debian
// enables mod_deflate for text/css and JavaScript), or the bound would not hold.
TEST_F(ComboTest, OutputFiltersDoNotCompressAMissInstead) {
  deploy("100");
  site_->options.httpd_modules = {"filter", "deflate"};
  start("LPIcingComboCompressors 0\nAddOutputFilterByType DEFLATE text/css text/javascript\n");
  Response combo = site_->get(kAB, {"Accept-Encoding: gzip"});
  ASSERT_EQ(combo.status, 200);
  EXPECT_EQ(combo.header_count("content-encoding"), 0);
  EXPECT_EQ(combo.body, source("100", "css/a.css") + source("100", "css/b.css"));
  // The filter is live: it compresses a static file of the DocumentRoot.
  write_file(site_->httpd().path("htdocs/plain.css"), css_for("plain"));
  Response plain = site_->get("/plain.css", {"Accept-Encoding: gzip"});
  EXPECT_EQ(plain.header("content-encoding"), "gzip");
}

// Every slot held by a live process (this test, through the scribble module
// playing a busy server): misses go out identity until a slot is free.
TEST_F(ComboTest, BusySlotsSendIdentityUntilOneIsFree) {
  deploy("100");
  start("LoadModule lpweb_scribble_module " LPWEB_MOD_SCRIBBLE "\n"
        "<Location /scribble>\n  SetHandler lpweb-scribble\n</Location>\n");
  const std::string a = source("100", "css/a.css"), b = source("100", "css/b.css");
  Response held = site_->get("/scribble?hold=" + std::to_string(getpid()));
  ASSERT_EQ(held.status, 200) << held.body;
  ASSERT_NE(held.body.find("lpweb-shm:lpicing-compressors"), std::string::npos) << held.body;

  Response busy = site_->get(kAB, {"Accept-Encoding: br"});
  ASSERT_EQ(busy.status, 200);
  EXPECT_EQ(busy.header_count("content-encoding"), 0);
  EXPECT_EQ(busy.body, a + b);
  EXPECT_EQ(busy.header("vary"), "Accept-Encoding");
  EXPECT_EQ(busy.header("etag"), combo_etag({a, b}, "identity"));
  EXPECT_EQ(site_->get(kAB, {"Accept-Encoding: br", "If-None-Match: " + busy.header("etag")}).status, 304);
  // A client holding the br representation revalidates without a compressor.
  const std::string br_etag = combo_etag({a, b}, "br;quality=5;lgwin=22");
  Response revalidated = site_->get(kAB, {"Accept-Encoding: br", "If-None-Match: " + br_etag});
  EXPECT_EQ(revalidated.status, 304);
  EXPECT_EQ(revalidated.header("etag"), br_etag);

  ASSERT_EQ(site_->get("/scribble?hold=0").status, 200);
  Response freed = site_->get(kAB, {"Accept-Encoding: br"});
  ASSERT_EQ(freed.status, 200);
  EXPECT_EQ(freed.header("content-encoding"), "br");
  EXPECT_EQ(brotli_decode(freed.body), a + b);
  EXPECT_EQ(freed.header("etag"), br_etag);
}

TEST_F(ComboTest, VirtualHostsHaveTheirOwnCompressors) {
  deploy("100");
  start("LPIcingComboCompressors 1\n"
        "<VirtualHost *>\n  ServerName localhost\n  LPIcingComboCompressors 0\n</VirtualHost>\n"
        "<VirtualHost *>\n  ServerName other.test\n</VirtualHost>\n");
  Request req;
  req.target = kAB;
  req.headers = {"Accept-Encoding: br"};
  req.host = "localhost";
  EXPECT_EQ(fetch(site_->port(), req).header_count("content-encoding"), 0);
  req.host = "other.test";
  Response other = fetch(site_->port(), req);
  EXPECT_EQ(other.header("content-encoding"), "br");
  EXPECT_EQ(brotli_decode(other.body), source("100", "css/a.css") + source("100", "css/b.css"));
}

TEST_F(ComboTest, DebugLinesNameWhatWasSent) {
  deploy("100");
  start("LogLevel lpicing:trace8\nLPIcingComboCompressors 0\n");
  ASSERT_EQ(site_->get(kAB, {"Accept-Encoding: br"}).status, 200);
  ASSERT_EQ(head_request(site_->port(), kAB, "br").status, 200);
  // Written before each response was sent.
  std::string log = site_->httpd().error_log();
  EXPECT_NE(log.find("LPI0602: combo /+icing/+combo/rev100/: versioned revision 100, 2 files, "), std::string::npos)
      << log;
  EXPECT_NE(log.find("LPI0607: combo /+icing/+combo/rev100/: not cached, no compressor free: sent as identity"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("LPI0607: combo /+icing/+combo/rev100/: not cached, a HEAD never compresses"), std::string::npos)
      << log;
}

TEST_F(ComboTest, RangeIsServedByHttpd) {
  deploy("100");
  start();
  const std::string ab = source("100", "css/a.css") + source("100", "css/b.css");
  std::size_t mid = source("100", "css/a.css").size() - 5;  // across the join
  Response r = site_->get(kAB, {"Range: bytes=" + std::to_string(mid) + "-" + std::to_string(mid + 9)});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, ab.substr(mid, 10));
}

TEST_F(ComboTest, PostIsNotAllowed) {
  deploy("100");
  start();
  Request req;
  req.method = "POST";
  req.target = kAB;
  req.body = "x";
  EXPECT_EQ(fetch(site_->port(), req).status, 405);
}

// ---- revisions -----------------------------------------------------------------------------

TEST_F(ComboTest, UnversionedComboFollowsCurrentWithShortMaxAge) {
  deploy("100");
  start("LPIcingCurrentMaxAge 120\n");
  const char* target = "/+icing/+combo/?css/a.css&css/b.css";
  Response r = site_->get(target);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, source("100", "css/a.css") + source("100", "css/b.css"));
  EXPECT_EQ(r.header("cache-control"), "public, max-age=120");
  deploy("101");
  EXPECT_EQ(site_->get(target).body, source("101", "css/a.css") + source("101", "css/b.css"));
  // The old revision stays reachable through its own URL.
  EXPECT_EQ(site_->get(kAB).body, source("100", "css/a.css") + source("100", "css/b.css"));
}

TEST_F(ComboTest, EveryMemberComesFromTheNamedRevision) {
  deploy("100");
  deploy("101", {"--no-activate"});
  start();
  EXPECT_EQ(site_->get("/+icing/+combo/rev101/?js/101-only.js").status, 200);
  Response r = site_->get("/+icing/+combo/rev100/?js/one.js&js/101-only.js");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(site_->get("/+icing/+combo/rev999/?js/one.js").status, 404);
}

// ---- refusals ------------------------------------------------------------------------------

TEST_F(ComboTest, MissingOrUnservableMembersAre404NoStore) {
  deploy("100");
  deploy("101");
  start();
  write_file(site_->httpd().path("htdocs/secret.css"), "TOP-SECRET\n");
  for (const char* t : {
           "/+icing/+combo/rev100/?css/a.css&css/missing.css",
           "/+icing/+combo/rev100/?css/a.css&css/.hidden.css",
           "/+icing/+combo/rev100/?css/a.css&../rev101/files/css/a.css",
           "/+icing/+combo/rev100/?css/a.css&%2e%2e/%2e%2e/%2e%2e/htdocs/secret.css",
           "/+icing/+combo/rev100/?css/a.css&css/../../101/files/css/a.css",
           "/+icing/+combo/rev100/?css/a.css&/etc/passwd",
           "/+icing/+combo/rev100/?css/a.css&%2Fetc%2Fpasswd",
           "/+icing/+combo/rev100/?INDEX", "/+icing/+combo/rev100/?SHA256SUMS", "/+icing/+combo/rev100/?REVISION",
           "/+icing/+combo/rev100/?css/a.css&css", "/+icing/+combo/rev100/?css/a.css&css/",
           "/+icing/+combo/rev100/?css/a.css%00.txt", "/+icing/+combo/rev100/?css/a.css&&css/b.css",
           "/+icing/+combo/rev100/?css/a.css&", "/+icing/+combo/rev100/?", "/+icing/+combo/rev100/",
           "/+icing/+combo/rev100?css/a.css", "/+icing/+combo/rev100/css/?a.css", "/+icing/+combo?css/a.css",
           "/+icing/+combo/rev../?css/a.css", "/+icing/+combo/x.css", "/+icing/+combo/rev100/?css\\a.css",
           "/+icing/+combo/rev100/?..%5c..%5cINDEX"}) {
    RawResponse r = site_->raw_get(t);
    EXPECT_EQ(r.status, 404) << t;
    EXPECT_EQ(r.header("cache-control"), "no-store") << t;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("lpicing-index"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << t;
  }
}

TEST_F(ComboTest, MalformedEscapeIs400) {
  deploy("100");
  start();
  for (const char* t : {"/+icing/+combo/rev100/?css/a.css%zz", "/+icing/+combo/rev100/?css/a.css%2"}) {
    RawResponse r = site_->raw_get(t);
    EXPECT_EQ(r.status, 400) << t;
    EXPECT_EQ(r.header("cache-control"), "no-store") << t;
  }
}

TEST_F(ComboTest, MixedTypesAre400) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/+combo/rev100/?css/a.css&js/one.js");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(site_->get("/+icing/+combo/rev100/?img/logo.png&css/a.css").status, 400);
}

TEST_F(ComboTest, LimitsGive400) {
  deploy("100");
  start("LPIcingComboMaxFiles 3\nLPIcingComboMaxBytes 5000\n");
  EXPECT_EQ(site_->get("/+icing/+combo/rev100/?css/x.css&css/x.css&css/x.css").status, 200);
  Response files = site_->get("/+icing/+combo/rev100/?css/x.css&css/x.css&css/x.css&css/x.css");
  EXPECT_EQ(files.status, 400);
  EXPECT_EQ(files.header("cache-control"), "no-store");
  ASSERT_LT(source("100", "css/a.css").size(), 5000u);
  EXPECT_EQ(site_->get("/+icing/+combo/rev100/?css/a.css").status, 200);
  EXPECT_EQ(site_->get(kAB).status, 400);  // a + b is over 5000 bytes
}

TEST_F(ComboTest, DefaultLimitIsOneHundredFiles) {
  deploy("100");
  start();
  std::string q = "css/x.css";
  for (int i = 1; i < 100; ++i) q += "&css/x.css";
  Response hundred = site_->get("/+icing/+combo/rev100/?" + q);
  ASSERT_EQ(hundred.status, 200);
  EXPECT_EQ(hundred.body.size(), 300u);
  EXPECT_EQ(site_->get("/+icing/+combo/rev100/?" + q + "&css/x.css").status, 400);
}

TEST_F(ComboTest, DefaultLimitIsOneMegabyte) {
  site_->deploy_revision("big", {{"js/big.js", std::string(600 * 1024, ';')}});
  start();
  EXPECT_EQ(site_->get("/+icing/+combo/revbig/?js/big.js").status, 200);
  EXPECT_EQ(site_->get("/+icing/+combo/revbig/?js/big.js&js/big.js").status, 400);  // 1.2 MB
}

TEST_F(ComboTest, SingleFilesAreUnchanged) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/rev100/css/a.css");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, source("100", "css/a.css"));
  // A query on a single-file URL is not a combo.
  EXPECT_EQ(site_->get("/+icing/rev100/css/a.css?css/b.css").body, source("100", "css/a.css"));
}

TEST_F(ComboTest, SlowPathServesCombosAlike) {
  deploy("100");
  start("LPIcingQuickHandler Off\n");
  const std::string ab = source("100", "css/a.css") + source("100", "css/b.css");
  Response id = site_->get(kAB);
  ASSERT_EQ(id.status, 200);
  EXPECT_EQ(id.body, ab);
  EXPECT_EQ(id.header("content-type"), "text/css");
  Response br = site_->get(kAB, {"Accept-Encoding: br"});
  EXPECT_EQ(brotli_decode(br.body), ab);
  EXPECT_EQ(site_->get(kAB, {"Accept-Encoding: br", "If-None-Match: " + br.header("etag")}).status, 304);
  EXPECT_EQ(site_->get("/+icing/+combo/rev100/?css/a.css&js/one.js").status, 400);
  EXPECT_EQ(site_->get("/+icing/+combo/rev100/?css/a.css&css/missing.css").status, 404);
}

TEST_F(ComboTest, PreforkChildrenAgree) {
  deploy("100");
  site_->options.mpm = "prefork";
  start();
  std::string etag;
  std::string body;
  for (int i = 0; i < 12; ++i) {
    Response r = site_->get(kAB, {"Accept-Encoding: br"});
    ASSERT_EQ(r.status, 200);
    if (i == 0) etag = r.header("etag"), body = r.body;
    EXPECT_EQ(r.header("etag"), etag);
    EXPECT_EQ(r.body, body);
  }
}

// ---- configuration -------------------------------------------------------------------------

TEST(ComboGoodConfig, SizesTakeUnits) {
  HttpdOptions o;
  o.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}};
  o.config = "LPIcingComboMaxFiles 250\nLPIcingComboMaxBytes 512K\nLPIcingComboCacheBytes 64M\n"
             "LPIcingComboCompressors 0\n<VirtualHost *>\n  LPIcingComboCompressors 256\n</VirtualHost>\n";
  Httpd httpd(o);
  auto [code, output] = httpd.config_test();
  EXPECT_EQ(code, 0) << output;
}

}  // namespace
}  // namespace lpweb::test
