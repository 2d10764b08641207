// HTTP/1.1 Upgrade to h2c for answers both modules make in httpd's quick
// handler (mod_http2 loaded): an icing URL and an edge redirect switch to h2
// when h2c is in Protocols, as core's static files do, and stay HTTP/1.1
// otherwise; an Upgrade nobody offers, or one on a request with a body, is
// answered over HTTP/1.1 as if it were absent.
#include <gtest/gtest.h>

#include <curl/curl.h>

#include <cstdlib>
#include <string>

#include "icing_site.h"

namespace lpweb::test {
namespace {

const char* const kCss = "body { color: #123456; }\n";

class H2cTest : public IcingSiteTest {
 protected:
  H2cTest() : IcingSiteTest(StoreOwner::tester) {}
  void SetUp() override {
    LPWEB_SKIP_WITHOUT_LPICING();
    LPWEB_SKIP_WITHOUT_LPEDGE();
    IcingSiteTest::SetUp();
    site_->deploy_revision("7", {{"css/app.css", kCss}});
    site_->options.httpd_modules = {"http2"};
    site_->options.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}, {"lpedge_module", LPWEB_MOD_LPEDGE}};
  }
  void start_with(const std::string& protocols) {
    start("LPEdgeRedirect edge.example.net example.net\n" + protocols + "\n");
    write_file(site_->httpd().path("htdocs/static.css"), kCss);
  }
  Response get_h2(const std::string& target, const std::string& host = "localhost") {
    Request req;
    req.host = host;
    req.target = target;
    req.http_version = CURL_HTTP_VERSION_2_0;  // on http://: Upgrade: h2c, HTTP2-Settings
    return fetch(site_->port(), req);
  }
  RawResponse raw(const std::string& head, const std::string& body = "") {
    return raw_request(site_->port(), head + "Connection: close\r\n\r\n" + body);
  }
};

TEST_F(H2cTest, IcingUrlUpgradesToH2) {
  start_with("Protocols h2c http/1.1");
  Response r = get_h2("/+icing/rev7/css/app.css");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.http_version, CURL_HTTP_VERSION_2_0);
  EXPECT_EQ(r.body, kCss);
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
}

TEST_F(H2cTest, EdgeRedirectUpgradesToH2) {
  start_with("Protocols h2c http/1.1");
  Response r = get_h2("/foo/+bug/1?x=%2F", "bugs.edge.example.net");
  ASSERT_EQ(r.status, 301) << r.error;
  EXPECT_EQ(r.http_version, CURL_HTTP_VERSION_2_0);
  EXPECT_EQ(r.header("location"), "http://bugs.example.net/foo/+bug/1?x=%2F");
}

// The control: what the modules now match.
TEST_F(H2cTest, CoreStaticFileUpgradesToH2) {
  start_with("Protocols h2c http/1.1");
  Response r = get_h2("/static.css");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.http_version, CURL_HTTP_VERSION_2_0);
}

// The HTTP/1.1 request that upgraded is logged too (101); only its h2 stream counts.
TEST_F(H2cTest, UpgradedIcingRequestIsCountedOnce) {
  start_with("Protocols h2c http/1.1");
  ASSERT_EQ(get_h2("/+icing/rev7/css/app.css").status, 200);
  ASSERT_TRUE(eventually([&] {
    std::string log = site_->httpd().access_log();
    return log.find("app.css HTTP/1.1\" 101") != std::string::npos &&
           log.find("app.css HTTP/2.0\" 200") != std::string::npos;
  }, 10)) << site_->httpd().access_log();
  auto counted = [&] {
    std::string body = site_->get("/lpicing-status?format=prometheus").body;
    long sum = 0;
    for (std::size_t at = body.find("\nlpicing_requests_total{"); at != std::string::npos;
         at = body.find("\nlpicing_requests_total{", at + 1))
      sum += std::strtol(body.c_str() + body.find("} ", at) + 2, nullptr, 10);
    return sum;
  };
  ASSERT_TRUE(eventually([&] { return counted() >= 1; }, 10));
  EXPECT_EQ(counted(), 1);
}

TEST_F(H2cTest, WithoutH2cInProtocolsBothStayHttp11) {
  start_with("Protocols http/1.1");
  Response icing = get_h2("/+icing/rev7/css/app.css");
  ASSERT_EQ(icing.status, 200) << icing.error;
  EXPECT_EQ(icing.http_version, CURL_HTTP_VERSION_1_1);
  EXPECT_EQ(icing.body, kCss);
  Response edge = get_h2("/a?b", "bugs.edge.example.net");
  ASSERT_EQ(edge.status, 301) << edge.error;
  EXPECT_EQ(edge.http_version, CURL_HTTP_VERSION_1_1);
  EXPECT_EQ(edge.header("location"), "http://bugs.example.net/a?b");
}

TEST_F(H2cTest, UpgradeToAProtocolNotOfferedIsServedOverHttp11) {
  start_with("Protocols h2c http/1.1");
  RawResponse icing = raw("GET /+icing/rev7/css/app.css HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\n");
  EXPECT_EQ(icing.raw.rfind("HTTP/1.1 200 ", 0), 0u) << icing.raw;
  EXPECT_EQ(icing.body, kCss);
  RawResponse edge = raw("GET /a HTTP/1.1\r\nHost: bugs.edge.example.net\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\n");
  EXPECT_EQ(edge.raw.rfind("HTTP/1.1 301 ", 0), 0u) << edge.raw;
  EXPECT_EQ(edge.header("location"), "http://bugs.example.net/a");
}

// mod_http2 does not upgrade a request with a body (for core's static files
// too): the POST gets its 308 over HTTP/1.1, the body read and discarded.
TEST_F(H2cTest, UpgradeOnPostWithBodyGets308OverHttp11) {
  start_with("Protocols h2c http/1.1");
  const std::string upgrade = "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"
                              "Connection: Upgrade, HTTP2-Settings\r\n";
  RawResponse edge = raw("POST /api/x HTTP/1.1\r\nHost: bugs.edge.example.net\r\nContent-Length: 5\r\n"
                         "Content-Type: text/plain\r\n" + upgrade, "hello");
  EXPECT_EQ(edge.raw.rfind("HTTP/1.1 308 ", 0), 0u) << edge.raw;
  EXPECT_EQ(edge.header("location"), "http://bugs.example.net/api/x");
}

}  // namespace
}  // namespace lpweb::test
