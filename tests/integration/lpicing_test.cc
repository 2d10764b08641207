// mod_lpicing against a real httpd, with bundles packed and deployed by the
// real lpicing tool: headers, negotiation, revisions, rollback, hostile URLs,
// the status handler and the drop directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "client.h"
#include "crypto.h"
#include "decode.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

std::string css_for(const std::string& marker) {
  std::string css = "/* " + marker + " */\n";
  for (int i = 0; i < 200; ++i) css += ".rule-" + std::to_string(i) + " { color: #123456; margin: 0 auto; }\n";
  return css;
}

std::string js_for(const std::string& rev) {
  return "window.lpRevision = '" + rev + "';\n" + std::string(600, ' ') + "//\n";
}

using lpweb_test::brotli_decode;
using lpweb_test::gzip_decode;

std::string etag_of(const std::string& bytes) {
  return "\"" + lpicing::to_hex(lpicing::sha256_of(bytes)).substr(0, 32) + "\"";
}

// The source tree of revision `rev`: every file names the revision.
Files files_of(const std::string& rev) {
  std::string png = "\x89PNG\r\n\x1a\n" + rev;
  for (int i = 0; i < 300; ++i) png.push_back(static_cast<char>((i * 131 + rev.size()) & 0xff));
  return {{"css/app.css", css_for("revision " + rev)},
          {"js/app.js", js_for(rev)},
          {"img/logo.png", png},
          {"hello world.txt", "hello from " + rev + "\n"},
          {".hidden", "hidden " + rev + "\n"}};
}

// The store is the tester's: the tool makes it at the first deploy and never changes
// user, the path a release script run as root takes.
class IcingTest : public IcingSiteTest {
 protected:
  IcingTest() : IcingSiteTest(StoreOwner::tester) {}
  void deploy(const std::string& rev, std::vector<std::string> extra = {}) {
    site_->deploy_revision(rev, files_of(rev), std::move(extra));
  }
};

// ---- one asset, every header ------------------------------------------------------

TEST_F(IcingTest, VersionedAssetCarriesImmutableCachingAndStrongETag) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/rev100/css/app.css");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, css_for("revision 100"));
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.header("etag"), etag_of(css_for("revision 100")));
  EXPECT_EQ(r.header("content-type"), "text/css");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_FALSE(r.header("last-modified").empty());
  EXPECT_EQ(r.header_count("content-encoding"), 0);
}

TEST_F(IcingTest, ContentTypeComesFromHttpdMimeTypes) {
  deploy("100");
  start();
  EXPECT_EQ(site_->get("/+icing/rev100/img/logo.png").header("content-type"), "image/png");
  EXPECT_EQ(site_->get("/+icing/rev100/js/app.js").header("content-type"), "text/javascript");
  EXPECT_EQ(site_->get("/+icing/rev100/hello%20world.txt").header("content-type"), "text/plain");
}

TEST_F(IcingTest, BrotliChosenWhenAccepted) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/rev100/css/app.css", {"Accept-Encoding: gzip, deflate, br"});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-encoding"), "br");
  EXPECT_EQ(brotli_decode(r.body), css_for("revision 100"));
  EXPECT_LT(r.body.size(), css_for("revision 100").size());
  // The ETag is the digest of the bytes sent: the variant's, not the source's.
  EXPECT_EQ(r.header("etag"), etag_of(r.body));
  EXPECT_NE(r.header("etag"), etag_of(css_for("revision 100")));
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
}

TEST_F(IcingTest, QValuesDecide) {
  deploy("100");
  start();
  Response gz = site_->get("/+icing/rev100/css/app.css", {"Accept-Encoding: br;q=0.5, gzip;q=1"});
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gzip_decode(gz.body), css_for("revision 100"));
  Response none = site_->get("/+icing/rev100/css/app.css", {"Accept-Encoding: br;q=0, gzip;q=0"});
  EXPECT_EQ(none.header_count("content-encoding"), 0);
  EXPECT_EQ(none.body, css_for("revision 100"));
}

TEST_F(IcingTest, AssetWithoutVariantsHasNoVaryAndIgnoresIdentityQZero) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/rev100/img/logo.png", {"Accept-Encoding: br, identity;q=0"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header_count("vary"), 0);
  EXPECT_EQ(r.header_count("content-encoding"), 0);
}

TEST_F(IcingTest, IfNoneMatchGives304) {
  deploy("100");
  start();
  std::string etag = site_->get("/+icing/rev100/css/app.css").header("etag");
  Response r = site_->get("/+icing/rev100/css/app.css", {"If-None-Match: " + etag});
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("etag"), etag);
  EXPECT_EQ(site_->get("/+icing/rev100/css/app.css", {"If-None-Match: \"other\""}).status, 200);
}

TEST_F(IcingTest, IfModifiedSinceGives304) {
  deploy("100");
  start();
  std::string lm = site_->get("/+icing/rev100/img/logo.png").header("last-modified");
  EXPECT_EQ(site_->get("/+icing/rev100/img/logo.png", {"If-Modified-Since: " + lm}).status, 304);
}

TEST_F(IcingTest, RangeIsServedByHttpd) {
  deploy("100");
  start();
  Response r = site_->get("/+icing/rev100/css/app.css", {"Range: bytes=3-12"});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, css_for("revision 100").substr(3, 10));
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
}

TEST_F(IcingTest, HeadHasLengthButNoBody) {
  deploy("100");
  start();
  RawResponse r = raw_request(site_->port(), "HEAD /+icing/rev100/js/app.js HTTP/1.1\r\nHost: localhost\r\n"
                                              "Connection: close\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header("content-length"), std::to_string(js_for("100").size()));
  EXPECT_EQ(r.raw.substr(r.raw.find("\r\n\r\n") + 4), "");
}

TEST_F(IcingTest, PostIsNotAllowed) {
  deploy("100");
  start();
  Request req;
  req.method = "POST";
  req.target = "/+icing/rev100/js/app.js";
  req.body = "x";
  Response r = fetch(site_->port(), req);
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.header("allow").find("GET"), std::string::npos) << r.header("allow");
}

// ---- virtual hosts ------------------------------------------------------------------

// A virtual host inherits, one by one, the directives it does not set, and keeps
// those it does (lpicing::merge_settings, unit-tested field by field in settings_test).
TEST_F(IcingTest, VirtualHostsInheritEachDirectiveTheyDoNotSet) {
  deploy("100");
  IcingSite& other = add_site("other");
  other.deploy_revision("200", files_of("200"));
  start("LPIcingPrefix /assets\nLPIcingCurrentMaxAge 120\nLPIcingComboMaxFiles 1\n"
        "<VirtualHost *>\n  ServerName localhost\n</VirtualHost>\n"
        "<VirtualHost *>\n  ServerName inherits.test\n</VirtualHost>\n"
        "<VirtualHost *>\n  ServerName own.test\n  LPIcingStore \"" + other.store +
        "\"\n  LPIcingCurrentMaxAge 60\n  LPIcingComboMaxFiles 2\n</VirtualHost>\n");
  const std::string combo = "/assets/+combo/rev%s/?css/app.css&css/app.css";
  auto combo_of = [&](const char* rev) {
    std::string t = combo;
    return t.replace(t.find("%s"), 2, rev);
  };

  Response inherited = site_->get("/assets/css/app.css", {}, "inherits.test");
  ASSERT_EQ(inherited.status, 200) << inherited.error;
  EXPECT_EQ(inherited.body, css_for("revision 100"));                     // LPIcingStore
  EXPECT_EQ(inherited.header("cache-control"), "public, max-age=120");   // LPIcingCurrentMaxAge
  EXPECT_EQ(site_->get(combo_of("100"), {}, "inherits.test").status, 400);  // LPIcingComboMaxFiles 1

  Response own = site_->get("/assets/css/app.css", {}, "own.test");      // LPIcingPrefix inherited
  ASSERT_EQ(own.status, 200) << own.error;
  EXPECT_EQ(own.body, css_for("revision 200"));                          // its own store
  EXPECT_EQ(own.header("cache-control"), "public, max-age=60");          // its own max-age
  Response own_combo = site_->get(combo_of("200"), {}, "own.test");      // its own limit, 2
  EXPECT_EQ(own_combo.status, 200);
  EXPECT_EQ(own_combo.body, css_for("revision 200") + css_for("revision 200"));
  EXPECT_EQ(site_->get("/assets/rev200/css/app.css", {}, "inherits.test").status, 404);  // not its store
}

// ---- revisions ----------------------------------------------------------------------

TEST_F(IcingTest, UnversionedUrlServesCurrentWithShortMaxAge) {
  deploy("100");
  start("LPIcingCurrentMaxAge 120\n");
  Response r = site_->get("/+icing/css/app.css");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, css_for("revision 100"));
  EXPECT_EQ(r.header("cache-control"), "public, max-age=120");
}

TEST_F(IcingTest, UnknownRevisionOrFileIs404NoStore) {
  deploy("100");
  start();
  for (const char* t : {"/+icing/rev999/css/app.css", "/+icing/rev100/css/missing.css", "/+icing/missing.css"}) {
    Response r = site_->get(t);
    EXPECT_EQ(r.status, 404) << t;
    EXPECT_EQ(r.header("cache-control"), "no-store") << t;
  }
}

TEST_F(IcingTest, OldRevisionStillServedAfterNewOneIsActivated) {
  deploy("100");
  start();
  deploy("101");
  EXPECT_EQ(site_->get("/+icing/rev100/css/app.css").body, css_for("revision 100"));
  EXPECT_EQ(site_->get("/+icing/rev101/css/app.css").body, css_for("revision 101"));
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("revision 101"));
}

TEST_F(IcingTest, NoActivateLeavesCurrentAlone) {
  deploy("100");
  start();
  deploy("101", {"--no-activate"});
  EXPECT_EQ(site_->get("/+icing/rev101/css/app.css").status, 200);
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("revision 100"));
}

TEST_F(IcingTest, ActivateRollsBackAndForward) {
  deploy("100");
  deploy("101");
  start();
  ASSERT_EQ(run_tool({"activate", "100", "--store", site_->store}).exit_code, 0);
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("revision 100"));
  ASSERT_EQ(run_tool({"activate", "101", "--store", site_->store}).exit_code, 0);
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("revision 101"));
  CommandResult unknown = run_tool({"activate", "555", "--store", site_->store});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("revision 101"));
}

// Revisions share unchanged files as hard links (the store's object pool). The
// children's body cache and INDEX cache key on the path and its content, so a
// path never gets the bytes of another path sharing its inode, or of an older
// revision's file at the same path.
TEST_F(IcingTest, PathsSharingAnInodeEachServeTheirOwnBytes) {
  const std::string x = css_for("content x"), y = css_for("content y");
  site_->deploy_revision("100", {{"a.css", x}, {"b.css", y}});
  start();
  for (const char* p : {"a.css", "b.css"}) {
    ASSERT_EQ(site_->get(std::string("/+icing/rev100/") + p).status, 200);  // now mapped in a child
    ASSERT_EQ(site_->get(std::string("/+icing/rev100/") + p, {"Accept-Encoding: br"}).status, 200);
  }
  // Swapped: each path of 101 is the inode of the other path of 100.
  std::string bundle = site_->pack("101", {{"a.css", y}, {"b.css", x}});
  CommandResult r = site_->deploy(bundle);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 files: 2 reused"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("variants: 4 reused, 0 computed"), std::string::npos) << r.out;
  struct stat a101, b100;
  ASSERT_EQ(stat((site_->store + "/revisions/101/files/a.css").c_str(), &a101), 0);
  ASSERT_EQ(stat((site_->store + "/revisions/100/files/b.css").c_str(), &b100), 0);
  EXPECT_EQ(a101.st_ino, b100.st_ino);
  const std::map<std::string, std::string> expected = {{"/+icing/rev100/a.css", x}, {"/+icing/rev100/b.css", y},
                                                       {"/+icing/rev101/a.css", y}, {"/+icing/rev101/b.css", x},
                                                       {"/+icing/a.css", y},        {"/+icing/b.css", x}};
  for (int round = 0; round < 3; ++round) {  // the children see both orders, cached and not
    for (const auto& [url, bytes] : expected) {
      Response plain = site_->get(url);
      EXPECT_EQ(plain.status, 200) << url;
      EXPECT_EQ(plain.body, bytes) << url;
      EXPECT_EQ(plain.header("etag"), etag_of(bytes)) << url;
      Response br = site_->get(url, {"Accept-Encoding: br"});
      EXPECT_EQ(br.header("content-encoding"), "br") << url;
      EXPECT_EQ(brotli_decode(br.body), bytes) << url;
    }
  }
}

TEST_F(IcingTest, PrunedRevisionIs404) {
  deploy("100");
  start();
  ASSERT_EQ(site_->get("/+icing/rev100/css/app.css").status, 200);  // cached in a child
  deploy("101");
  deploy("102");
  // Within the one-hour grace nothing may be pruned; remove by hand as an old revision would be.
  remove_tree(site_->store + "/revisions/100");
  Response r = site_->get("/+icing/rev100/css/app.css");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("cache-control"), "no-store");
}

TEST_F(IcingTest, EachResponseComesWhollyFromOneRevisionWhileCurrentFlips) {
  deploy("100");
  deploy("101");
  start();
  const std::string css[2] = {css_for("revision 100"), css_for("revision 101")};
  std::atomic<bool> flipping{true};
  std::atomic<int> served{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      while (flipping) {
        // Half the clients ask for the current revision, half pin one.
        std::string target = t % 2 ? "/+icing/css/app.css" : "/+icing/rev10" + std::to_string(t / 2) + "/css/app.css";
        Response r = site_->get(target, {"Accept-Encoding: identity"});
        bool whole = r.status == 200 && (r.body == css[0] || r.body == css[1]) && r.header("etag") == etag_of(r.body);
        if (t % 2 == 0) whole = whole && r.body == css[t / 2];
        ++served;
        if (!whole) ++wrong;
      }
    });
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(run_tool({"activate", i % 2 ? "101" : "100", "--store", site_->store}).exit_code, 0);
  flipping = false;
  for (auto& c : clients) c.join();
  EXPECT_GT(served.load(), 30);
  EXPECT_EQ(wrong.load(), 0) << "of " << served.load();
}

// ---- hostile and odd URLs -------------------------------------------------------------

TEST_F(IcingTest, TraversalNeverLeavesTheRevision) {
  deploy("100");
  deploy("101");
  start();
  write_file(site_->httpd().path("htdocs/secret.txt"), "TOP-SECRET\n");
  const std::string rev101_css = css_for("revision 101");
  for (const char* t :
       {"/+icing/rev100/../rev101/css/app.css", "/+icing/rev100/%2e%2e/rev101/css/app.css",
        "/+icing/rev100/.%2e/rev101/css/app.css", "/+icing/rev100%2F..%2Frev101/css/app.css",
        "/+icing/rev100/%2e%2e/%2e%2e/%2e%2e/htdocs/secret.txt", "/+icing/rev100/..%5c..%5cINDEX",
        "/+icing/rev100/..\\..\\INDEX", "/+icing/rev100/%c0%ae%c0%ae/INDEX", "/+icing/rev100/%c0%ae%c0%ae/rev101/css/app.css",
        "/+icing/rev100/css/app.css%00.txt", "/+icing/rev100/%00", "/+icing/rev100/%%32%65%%32%65/INDEX",
        "/+icing/rev100/%252e%252e/INDEX", "/+icing/rev100/../../htdocs/secret.txt", "/+icing/rev100/css/../../INDEX",
        "/+icing/rev100//etc/passwd", "/+icing/rev100/%2Fetc%2Fpasswd"}) {
    RawResponse r = raw_request(site_->port(), std::string("GET ") + t + " HTTP/1.1\r\nHost: localhost\r\n"
                                                "Connection: close\r\n\r\n");
    EXPECT_TRUE(r.status == 400 || r.status == 404) << t << " gave " << r.status;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("revision 101"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("lpicing-index"), std::string::npos) << t;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << t;
  }
  allowed_errors_ = {"AH10244", "AH10245"};  // httpd's own "invalid URI path" notes
}

TEST_F(IcingTest, DirectoriesMetadataAndHiddenFilesAre404) {
  deploy("100");
  start();
  for (const char* t : {"/+icing/rev100/", "/+icing/rev100", "/+icing/rev100/css", "/+icing/rev100/css/",
                        "/+icing/rev100/SHA256SUMS", "/+icing/rev100/REVISION", "/+icing/rev100/INDEX",
                        "/+icing/rev100/.hidden", "/+icing/.hidden", "/+icing/", "/+icing", "/+icing/revisions/100/INDEX",
                        "/+icing/rev100/files/css/app.css", "/+icing/current/css/app.css"}) {
    Response r = site_->get(t);
    EXPECT_EQ(r.status, 404) << t;
    EXPECT_EQ(r.header("cache-control"), "no-store") << t;
  }
}

TEST_F(IcingTest, ConfiguredPrefixIsUsedAndOtherUrlsAreLeftAlone) {
  deploy("100");
  start("LPIcingPrefix /static/\n");
  EXPECT_EQ(site_->get("/static/rev100/js/app.js").status, 200);
  EXPECT_EQ(site_->get("/+icing/rev100/js/app.js").status, 404);
  EXPECT_EQ(site_->get("/staticx/rev100/js/app.js").status, 404);
  Response index = site_->get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("production"), std::string::npos);
}

TEST_F(IcingTest, RewriteLoadedFirstCannotTakeThePrefix) {
  deploy("100");
  site_->options.httpd_modules = {"rewrite"};  // loaded before mod_lpicing by the harness
  start("RewriteEngine On\nRewriteRule ^/\\+icing/ - [F]\n");
  EXPECT_EQ(site_->get("/+icing/rev100/js/app.js").status, 200);
}

TEST_F(IcingTest, AddHandlerCannotRunAnAsset) {
  deploy("100");
  start("AddHandler lpweb-nonexistent-handler .js\n");
  Response r = site_->get("/+icing/rev100/js/app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, js_for("100"));
}

// The quick handler answers before the location walk, so <Location> access
// rules do not apply to icing URLs; LPIcingQuickHandler Off brings them back.
TEST_F(IcingTest, QuickHandlerServesBeforeLocationRulesAndOffRestoresThem) {
  deploy("100");
  const std::string deny = "<Location \"/+icing/\">\n  Require all denied\n</Location>\n";
  start(deny);
  Response quick = site_->get("/+icing/rev100/js/app.js");
  EXPECT_EQ(quick.status, 200);
  EXPECT_EQ(quick.body, js_for("100"));
  site_->httpd().stop();
  EXPECT_TRUE(site_->httpd().unexpected_errors({}).empty());
  allowed_errors_ = {"AH01630"};  // mod_authz_core logs the refusal at error level
  start(deny + "LPIcingQuickHandler Off\n");
  EXPECT_EQ(site_->get("/+icing/rev100/js/app.js").status, 403);
  EXPECT_EQ(site_->get("/+icing/js/app.js").status, 403);
}

// Debian's stock mod_deflate config runs through mod_filter, whose filter has
// an init function; the quick handler must run it as ap_invoke_handler does
// (without it every compressible asset crashed the child).
TEST_F(IcingTest, FiltersAddedByTypeWorkOnTheQuickPath) {
  deploy("100");
  site_->options.httpd_modules = {"filter", "deflate"};
  start("AddOutputFilterByType DEFLATE text/css text/plain application/javascript\n");
  Response plain = site_->get("/+icing/rev100/css/app.css");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, css_for("revision 100"));
  Response gz = site_->get("/+icing/rev100/css/app.css", {"Accept-Encoding: gzip"});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gzip_decode(gz.body), css_for("revision 100"));
  Response txt = site_->get("/+icing/rev100/hello%20world.txt", {"Accept-Encoding: gzip"});
  EXPECT_EQ(txt.status, 200);
}

// ---- status ---------------------------------------------------------------------------

TEST_F(IcingTest, StatusReportsCurrentAndEveryRevision) {
  deploy("100");
  deploy("101");
  start();
  Response r = site_->get("/lpicing-status");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_NE(r.body.find("\"current\": \"101\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"revision\": \"100\""), std::string::npos) << r.body;
  std::string sums = lpicing::to_hex(lpicing::sha256_of(read_file(site_->store + "/revisions/100/SHA256SUMS")));
  EXPECT_NE(r.body.find("\"sha256sums\": \"" + sums + "\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"files\": 4"), std::string::npos) << r.body;
}

// ---- bad configuration ----------------------------------------------------------------------

TEST(IcingBadConfig, EachBadDirectiveFailsTheConfigTest) {
  struct Case {
    std::string line, directive, value;
  } cases[] = {
      {"LPIcingPrefix icing", "LPIcingPrefix", "'icing'"},
      {"LPIcingCurrentMaxAge -5", "LPIcingCurrentMaxAge", "'-5'"},
      {"LPIcingKeep 0", "LPIcingKeep", "'0'"},
      {"LPIcingKeep many", "LPIcingKeep", "'many'"},
      {"LPIcingTrustedKey /nonexistent/key.pem", "LPIcingTrustedKey", "/nonexistent/key.pem"},
      {"LPIcingTrustedKey /etc/hostname", "LPIcingTrustedKey", "not an Ed25519 public key"},
      {"LPIcingTool relative/lpicing", "LPIcingTool", "'relative/lpicing'"},
      {"LPIcingStore", "LPIcingStore", "takes one argument"},
      {"LPIcingStore /tmp\nLPIcingIncoming /nonexistent/incoming", "LPI0008", "/nonexistent/incoming"},
      {"LPIcingStore /tmp\nLPIcingIncoming /tmp\nLPIcingTool /nonexistent/lpicing", "LPI0003", "/nonexistent/lpicing"},
      {"LPIcingIncoming /tmp", "LPI0002", "LPIcingStore is not"},
      {"LPIcingComboMaxFiles 0", "LPIcingComboMaxFiles", "'0'"},
      {"LPIcingComboMaxFiles many", "LPIcingComboMaxFiles", "'many'"},
      {"LPIcingComboMaxFiles 10001", "LPIcingComboMaxFiles", "'10001'"},
      {"LPIcingComboMaxBytes 0", "LPIcingComboMaxBytes", "'0'"},
      {"LPIcingComboMaxBytes 2G", "LPIcingComboMaxBytes", "'2G'"},
      {"LPIcingComboMaxBytes 4MB", "LPIcingComboMaxBytes", "'4MB'"},
      {"LPIcingComboCacheBytes -1", "LPIcingComboCacheBytes", "'-1'"},
      {"LPIcingComboCacheBytes lots", "LPIcingComboCacheBytes", "'lots'"},
      {"LPIcingComboCompressors -1", "LPIcingComboCompressors", "'-1'"},
      {"LPIcingComboCompressors 257", "LPIcingComboCompressors", "'257'"},
      {"LPIcingComboCompressors two", "LPIcingComboCompressors", "'two'"},
      {"LPIcingComboCompressors 1.5", "LPIcingComboCompressors", "0 (never compress) to 256"},
      {"LPIcingComboCompressors", "LPIcingComboCompressors", "takes one argument"},
      {"LPIcingQuickHandler sometimes", "LPIcingQuickHandler", "must be On or Off"},
  };
  for (const Case& c : cases) {
    HttpdOptions o;
    o.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}};
    o.config = c.line;
    Httpd httpd(o);
    auto [code, output] = httpd.config_test();
    EXPECT_NE(code, 0) << c.line << "\n" << output;
    EXPECT_NE(output.find(c.directive), std::string::npos) << output;
    EXPECT_NE(output.find(c.value), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace lpweb::test
