// mod_lpedge against a real httpd: Location byte for byte, host matching,
// hostile targets, methods, exemptions, virtual hosts, counters, bad config.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "client.h"
#include "httpd.h"

namespace lpweb::test {
namespace {

const char* const kEdgeConfig = R"(
LPEdgeRedirect edge.example.net example.net
LPEdgeExempt /.well-known/acme-challenge/ /health
<Location /lpedge-status>
  SetHandler lpedge-status
</Location>
)";

HttpdOptions edge_options(const std::string& config = kEdgeConfig) {
  HttpdOptions o;
  o.own_modules = {{"lpedge_module", LPWEB_MOD_LPEDGE}};
  o.config = config;
  return o;
}

class EdgeTest : public ::testing::Test {
 protected:
  void SetUp() override { LPWEB_SKIP_WITHOUT_LPEDGE(); }
  void start(HttpdOptions options = edge_options()) {
    httpd_ = std::make_unique<Httpd>(std::move(options));
    mkdir(httpd_->path("htdocs/.well-known").c_str(), 0755);
    mkdir(httpd_->path("htdocs/.well-known/acme-challenge").c_str(), 0755);
    write_file(httpd_->path("htdocs/.well-known/acme-challenge/token"), "acme-token\n");
    write_file(httpd_->path("htdocs/health"), "ok\n");
    std::string error;
    ASSERT_TRUE(httpd_->start(&error)) << error;
  }
  void TearDown() override {
    if (!httpd_) return;
    httpd_->stop();
    auto errors = httpd_->unexpected_errors(allowed_errors_);
    EXPECT_TRUE(errors.empty()) << "unexpected error-log lines:\n" << errors.front();
  }
  int port() const { return httpd_->port(); }

  RawResponse raw_get(const std::string& target, const std::string& host = "bugs.edge.example.net",
                      const std::string& method = "GET") {
    return raw_request(port(), method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  }

  std::unique_ptr<Httpd> httpd_;
  std::vector<std::string> allowed_errors_;
};

std::string location_host(const std::string& location) {
  std::size_t start = location.find("://");
  if (start == std::string::npos) return {};
  start += 3;
  return location.substr(start, location.find_first_of("/?#", start) - start);
}

// ---- Location byte for byte -------------------------------------------------

struct TargetCase {
  const char* name;
  std::string target;
};

class EdgeTargetTest : public EdgeTest, public ::testing::WithParamInterface<TargetCase> {};

TEST_P(EdgeTargetTest, LocationIsProductionHostPlusTheRawTarget) {
  start();
  RawResponse r = raw_get(GetParam().target);
  ASSERT_EQ(r.status, 301) << r.raw;
  EXPECT_EQ(r.header_count("location"), 1);
  EXPECT_EQ(r.header("location"), "http://bugs.example.net" + GetParam().target);
}

INSTANTIATE_TEST_SUITE_P(
    Targets, EdgeTargetTest,
    ::testing::Values(TargetCase{"root", "/"}, TargetCase{"simple", "/foo/+bug/1?x=%2F"},
                      TargetCase{"lower_escapes", "/a%2fb%3fc%23d%25e"}, TargetCase{"upper_escapes", "/a%2Fb%3Fc%23d%25e"},
                      TargetCase{"mixed_case_escape", "/%c3%A9"}, TargetCase{"encoded_nul", "/a%00b?c=%00"},
                      TargetCase{"encoded_slash_in_query", "/x?y=%2F%2f"}, TargetCase{"double_slash", "//a//b"},
                      TargetCase{"dot_dot", "/a/../b"}, TargetCase{"dot_segments_and_slash", "//a/../b%2F?x"},
                      TargetCase{"params", "/a;p=1/b;q=2?x;y"}, TargetCase{"plus", "/a+b?c+d=e+f"},
                      TargetCase{"empty_query", "/x?"}, TargetCase{"only_question_marks", "/x??a?b"},
                      TargetCase{"raw_utf8", "/caf\xc3\xa9/\xe2\x9c\x93?q=\xc3\xbc"},
                      TargetCase{"long_query", "/search?q=" + std::string(4000, 'a')},
                      TargetCase{"encoded_crlf_path", "/a%0D%0ASet-Cookie:%20x=1"},
                      TargetCase{"encoded_crlf_query", "/a?b=%0d%0aLocation:%20http://evil.com/"},
                      TargetCase{"encoded_controls", "/%01%07%1b%7f"}, TargetCase{"scheme_relative", "//evil.com/x"},
                      TargetCase{"backslash", "/\\evil.com"}, TargetCase{"encoded_url", "/http%3A%2F%2Fevil.com"},
                      TargetCase{"encoded_dot_dot", "/%2e%2e/%2E%2E/etc/passwd"}, TargetCase{"bad_escape", "/bad%zz"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(EdgeTest, LibcurlSeesTheSameLocation) {
  start();
  Response r = get(port(), "bugs.edge.example.net", "/foo/+bug/1?x=%2F");
  ASSERT_EQ(r.status, 301) << r.error;
  EXPECT_EQ(r.header("location"), "http://bugs.example.net/foo/+bug/1?x=%2F");
}

TEST_F(EdgeTest, EncodedCrLfInjectsNoHeader) {
  start();
  RawResponse r = raw_get("/a%0D%0ASet-Cookie:%20x=1?b=%0d%0aX-Injected:%201");
  ASSERT_EQ(r.status, 301);
  EXPECT_EQ(r.header_count("location"), 1);
  EXPECT_EQ(r.header_count("set-cookie"), 0);
  EXPECT_EQ(r.header_count("x-injected"), 0);
}

TEST_F(EdgeTest, HostileTargetsStayOnTheProductionHost) {
  start();
  for (const char* t : {"//evil.com/x", "/\\evil.com", "/http%3A%2F%2Fevil.com", "/@evil.com", "/%2F%2Fevil.com"}) {
    RawResponse r = raw_get(t);
    ASSERT_EQ(r.status, 301) << t;
    EXPECT_EQ(location_host(r.header("location")), "bugs.example.net") << t;
  }
}

TEST_F(EdgeTest, RawControlByteInTargetIsRefusedWithoutRedirect) {
  start();
  RawResponse r = raw_request(port(), "GET /a\x01" "b HTTP/1.1\r\nHost: bugs.edge.example.net\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(r.header_count("location"), 0);
}

// ---- hosts ------------------------------------------------------------------

TEST_F(EdgeTest, HostMatchingIgnoresCasePortAndTrailingDot) {
  start();
  for (const char* host : {"BUGS.EDGE.EXAMPLE.NET", "bugs.edge.example.net:8080", "bugs.edge.example.net."}) {
    RawResponse r = raw_get("/x?y", host);
    ASSERT_EQ(r.status, 301) << host;
    EXPECT_EQ(r.header("location"), "http://bugs.example.net/x?y") << host;
  }
}

TEST_F(EdgeTest, MultiLabelSubdomainKeepsItsLabels) {
  start();
  EXPECT_EQ(raw_get("/z", "a.b.edge.example.net").header("location"), "http://a.b.example.net/z");
}

TEST_F(EdgeTest, BareEdgeHostGoesToBareProductionHost) {
  start();
  EXPECT_EQ(raw_get("/z", "edge.example.net").header("location"), "http://example.net/z");
}

TEST_F(EdgeTest, LookAlikeHostsAreServedNormally) {
  start();
  for (const char* host : {"xedge.example.net", "edge.example.net.evil.com", "example.net", "bugs.example.net"}) {
    RawResponse r = raw_get("/", host);
    EXPECT_EQ(r.status, 200) << host;
    EXPECT_EQ(r.header_count("location"), 0) << host;
  }
}

TEST_F(EdgeTest, AbsoluteFormTargetHostDecides) {
  start();
  RawResponse r = raw_request(
      port(), "GET http://bugs.edge.example.net/a%2Fb?c HTTP/1.1\r\nHost: other.example.org\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(r.status, 301) << r.raw;
  EXPECT_EQ(r.header("location"), "http://bugs.example.net/a%2Fb?c");

  RawResponse p = raw_request(
      port(), "GET http://bugs.example.net/ HTTP/1.1\r\nHost: bugs.edge.example.net\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(p.header_count("location"), 0);
}

TEST_F(EdgeTest, Http10WithoutHostIsNotRedirected) {
  start();
  RawResponse r = raw_request(port(), "GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header_count("location"), 0);
}

TEST_F(EdgeTest, Http10WithEdgeHostIsRedirected) {
  start();
  RawResponse r = raw_request(port(), "GET /a?b HTTP/1.0\r\nHost: bugs.edge.example.net\r\n\r\n");
  EXPECT_EQ(r.status, 301) << r.raw;
  EXPECT_EQ(r.header("location"), "http://bugs.example.net/a?b");
}

// ---- methods ----------------------------------------------------------------

TEST_F(EdgeTest, HeadGets301WithoutBody) {
  start();
  RawResponse r = raw_get("/x?y", "bugs.edge.example.net", "HEAD");
  ASSERT_EQ(r.status, 301);
  EXPECT_EQ(r.header("location"), "http://bugs.example.net/x?y");
  EXPECT_EQ(r.raw.substr(r.raw.find("\r\n\r\n") + 4), "");
}

TEST_F(EdgeTest, PostWithBodyGets308AndTheSameLocation) {
  start();
  Request req;
  req.method = "POST";
  req.host = "api.edge.example.net";
  req.target = "/1.0/bugs?ws.op=new";
  req.headers = {"Content-Type: application/x-www-form-urlencoded"};
  req.body = std::string(20000, 'x');
  Response r = fetch(port(), req);
  ASSERT_EQ(r.status, 308) << r.error;
  EXPECT_EQ(r.header("location"), "http://api.example.net/1.0/bugs?ws.op=new");
}

TEST_F(EdgeTest, OptionsAndPutGet308) {
  start();
  for (const char* m : {"OPTIONS", "PUT", "PATCH", "DELETE"}) {
    RawResponse r = raw_request(port(), std::string(m) + " /x HTTP/1.1\r\nHost: bugs.edge.example.net\r\n"
                                        "Content-Length: 0\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.status, 308) << m;
    EXPECT_EQ(r.header("location"), "http://bugs.example.net/x") << m;
  }
}

TEST_F(EdgeTest, OptionsAsteriskIsNotRedirected) {
  start();
  RawResponse r = raw_request(port(), "OPTIONS * HTTP/1.1\r\nHost: bugs.edge.example.net\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header_count("location"), 0);
}

TEST_F(EdgeTest, RedirectKeepsTheConnectionAlive) {
  start();
  RawResponse r = raw_request(port(),
                              "GET /one HTTP/1.1\r\nHost: bugs.edge.example.net\r\n\r\n"
                              "POST /two HTTP/1.1\r\nHost: bugs.edge.example.net\r\nContent-Length: 5\r\n\r\nhello"
                              "GET /three HTTP/1.1\r\nHost: bugs.edge.example.net\r\nConnection: close\r\n\r\n");
  std::vector<Response> all = parse_responses(r.raw);
  ASSERT_EQ(all.size(), 3u) << r.raw;
  EXPECT_EQ(all[0].header("location"), "http://bugs.example.net/one");
  EXPECT_EQ(all[1].status, 308);
  EXPECT_EQ(all[1].header("location"), "http://bugs.example.net/two");
  EXPECT_EQ(all[2].header("location"), "http://bugs.example.net/three");
}

// ---- exemptions, other hosts, environment -----------------------------------

TEST_F(EdgeTest, ExemptPathsAreServedNormally) {
  start();
  RawResponse acme = raw_get("/.well-known/acme-challenge/token");
  EXPECT_EQ(acme.status, 200);
  EXPECT_EQ(acme.body, "acme-token\n");
  EXPECT_EQ(raw_get("/health").status, 200);
  EXPECT_EQ(raw_get("/health?deep=1").status, 200);
  EXPECT_EQ(raw_get("/healthz").status, 301);
}

TEST_F(EdgeTest, DotSegmentsCannotWalkOutOfAnExemptPath) {
  start();
  RawResponse r = raw_get("/.well-known/acme-challenge/../../index.html");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("location"), "http://bugs.example.net/.well-known/acme-challenge/../../index.html");
}

TEST_F(EdgeTest, ErrorDocumentOfAnExemptPathStaysAnError) {
  HttpdOptions o = edge_options(std::string(kEdgeConfig) + "ErrorDocument 404 /not-found.html\n");
  start(o);
  write_file(httpd_->path("htdocs/not-found.html"), "custom not found\n");
  RawResponse r = raw_get("/.well-known/acme-challenge/missing");
  EXPECT_EQ(r.status, 404) << r.raw;
  EXPECT_EQ(r.body, "custom not found\n");
  EXPECT_EQ(r.header_count("location"), 0);
}

TEST_F(EdgeTest, HeaderAlwaysSetReachesRedirects) {
  HttpdOptions o = edge_options(std::string(kEdgeConfig) + "Header always set Strict-Transport-Security \"max-age=60\"\n");
  o.httpd_modules = {"headers"};
  start(o);
  RawResponse r = raw_get("/x");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("strict-transport-security"), "max-age=60");
}

// A FilterChain (mod_filter) is inserted for every request; its filter needs
// its init function run, as ap_invoke_handler does, or the child crashes.
TEST_F(EdgeTest, FilterChainConfiguredServerWideStillRedirects) {
  HttpdOptions o = edge_options(std::string(kEdgeConfig) +
                                "FilterDeclare lpgz CONTENT_SET\n"
                                "FilterProvider lpgz DEFLATE \"%{CONTENT_TYPE} =~ m|^text/|\"\n"
                                "FilterChain lpgz\n");
  o.httpd_modules = {"filter", "deflate"};
  start(o);
  for (const char* target : {"/x?y", "/a.css"}) {
    RawResponse r = raw_get(target);
    EXPECT_EQ(r.status, 301) << target;
    EXPECT_EQ(r.header("location"), std::string("http://bugs.example.net") + target);
  }
  EXPECT_EQ(get(port(), "bugs.example.net", "/health").status, 200);
}

TEST_F(EdgeTest, NonEdgeHostIsServedNormally) {
  start();
  Response r = get(port(), "bugs.example.net", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("production"), std::string::npos);
}

TEST_F(EdgeTest, RedirectedRequestsCarryTheEnvironmentVariable) {
  start();
  ASSERT_EQ(raw_get("/marked").status, 301);
  ASSERT_EQ(raw_get("/unmarked", "bugs.example.net").status, 404);
  httpd_->stop();  // flushes the access log
  std::string log = httpd_->access_log();
  EXPECT_NE(log.find("\"GET /marked HTTP/1.1\" 301 http://bugs.example.net/marked redirected=edge.example.net"),
            std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /unmarked HTTP/1.1\" 404 - redirected=-"), std::string::npos) << log;
}

TEST_F(EdgeTest, VirtualHostsHaveTheirOwnSettings) {
  start(edge_options(std::string(kEdgeConfig) + R"(
<VirtualHost *>
  ServerName default.test
</VirtualHost>
<VirtualHost *>
  ServerName api.example.org
  ServerAlias *.beta.example.org edge.example.net
  LPEdgeRedirect beta.example.org example.org
  LPEdgeStatus 302
  LPEdgeUnsafeMethodStatus 307
  LPEdgeScheme https
  LPEdgeCacheControl "max-age=60"
</VirtualHost>
)"));
  RawResponse inherited = raw_get("/a");  // default vhost inherits the main server's rules
  EXPECT_EQ(inherited.status, 301);
  EXPECT_EQ(inherited.header("location"), "http://bugs.example.net/a");
  EXPECT_EQ(inherited.header_count("cache-control"), 0);

  RawResponse own = raw_get("/a?b", "x.beta.example.org");
  EXPECT_EQ(own.status, 302);
  EXPECT_EQ(own.header("location"), "https://x.example.org/a?b");
  EXPECT_EQ(own.header("cache-control"), "max-age=60");
  EXPECT_EQ(raw_get("/a", "x.beta.example.org", "DELETE").status, 307);

  // That virtual host named its own edge hosts, so the main server's do not apply there.
  EXPECT_EQ(raw_get("/", "edge.example.net").status, 200);
}

// ---- counters -----------------------------------------------------------------

TEST_F(EdgeTest, StatusCountsRedirectsOfEveryChild) {
  HttpdOptions o = edge_options();
  o.mpm = "prefork";
  o.mpm_settings = "StartServers 3\nMinSpareServers 3\nMaxSpareServers 5\nMaxRequestWorkers 8";
  start(o);
  // Prefork serves one connection per child: a connection held open after its
  // first answer keeps its child busy, so the next connection lands elsewhere.
  constexpr int kConnections = 3, kPerConnection = 4;
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int c = 0; c < kConnections; ++c) {
    conns.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(conns.back()->send("GET /c HTTP/1.1\r\nHost: bugs.edge.example.net\r\n\r\n"));
    ASSERT_EQ(conns.back()->read_response().status, 301);
  }
  for (auto& conn : conns) {
    for (int i = 1; i < kPerConnection; ++i) {
      ASSERT_TRUE(conn->send("GET /c HTTP/1.1\r\nHost: bugs.edge.example.net\r\n\r\n"));
      ASSERT_EQ(conn->read_response().status, 301);
    }
    ASSERT_TRUE(conn->send("POST /p HTTP/1.1\r\nHost: bugs.edge.example.net\r\nContent-Length: 0\r\n\r\n"));
    ASSERT_EQ(conn->read_response().status, 308);
  }
  conns.clear();

  Response json = get(port(), "localhost", "/lpedge-status");
  ASSERT_EQ(json.status, 200);
  EXPECT_EQ(json.header("content-type"), "application/json");
  EXPECT_NE(json.body.find("{\"edge_host\": \"edge.example.net\", \"status\": 301, \"count\": 12}"), std::string::npos)
      << json.body;
  EXPECT_NE(json.body.find("{\"edge_host\": \"edge.example.net\", \"status\": 308, \"count\": 3}"), std::string::npos)
      << json.body;

  Response prom = get(port(), "localhost", "/lpedge-status?format=prometheus");
  EXPECT_NE(prom.body.find("lpedge_redirects_total{edge_host=\"edge.example.net\",status=\"301\"} 12\n"),
            std::string::npos) << prom.body;

  httpd_->stop();
  std::set<std::string> pids;
  std::istringstream log(httpd_->access_log());
  for (std::string line; std::getline(log, line);)
    if (line.find(" 301 ") != std::string::npos) pids.insert(line.substr(line.find(' ') + 1, line.find(' ', line.find(' ') + 1) - line.find(' ') - 1));
  EXPECT_EQ(pids.size(), 3u) << "redirects were not spread over children:\n" << httpd_->access_log();
}

TEST_F(EdgeTest, CountersSurviveAGracefulRestart) {
  start();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(raw_get("/g").status, 301);
  std::string error;
  ASSERT_TRUE(httpd_->graceful(&error)) << error;
  ASSERT_EQ(raw_get("/g").status, 301);
  Response json = get(port(), "localhost", "/lpedge-status");
  EXPECT_NE(json.body.find("\"status\": 301, \"count\": 6}"), std::string::npos) << json.body;
}

// ---- bad configuration ----------------------------------------------------------

struct BadDirective {
  const char* name;
  const char* line;
  const char* directive;
  const char* value;
};

class EdgeBadConfigTest : public ::testing::TestWithParam<BadDirective> {};

TEST_P(EdgeBadConfigTest, ConfigTestFailsNamingDirectiveAndValue) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  Httpd httpd(edge_options(GetParam().line));
  auto [code, output] = httpd.config_test();
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find(GetParam().directive), std::string::npos) << output;
  EXPECT_NE(output.find(GetParam().value), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(
    Directives, EdgeBadConfigTest,
    ::testing::Values(
        BadDirective{"unknown_status", "LPEdgeStatus 200", "LPEdgeStatus", "'200'"},
        BadDirective{"unknown_unsafe_status", "LPEdgeUnsafeMethodStatus 404", "LPEdgeUnsafeMethodStatus", "'404'"},
        BadDirective{"malformed_edge_host", "LPEdgeRedirect edge..example.net example.net", "LPEdgeRedirect",
                     "'edge..example.net'"},
        BadDirective{"malformed_production_host", "LPEdgeRedirect edge.example.net evil.com/x", "LPEdgeRedirect",
                     "'evil.com/x'"},
        BadDirective{"production_port_out_of_range", "LPEdgeRedirect edge.example.net example.net:99999",
                     "LPEdgeRedirect", "'example.net:99999'"},
        BadDirective{"redirect_loop", "LPEdgeRedirect edge.example.net www.edge.example.net", "LPEdgeRedirect",
                     "'www.edge.example.net'"},
        BadDirective{"relative_exempt_path", "LPEdgeExempt health", "LPEdgeExempt", "'health'"},
        BadDirective{"missing_argument", "LPEdgeRedirect edge.example.net", "LPEdgeRedirect", "two arguments"},
        BadDirective{"unknown_scheme", "LPEdgeScheme ftp", "LPEdgeScheme", "'ftp'"},
        BadDirective{"in_directory_context", "<Location />\nLPEdgeStatus 302\n</Location>", "LPEdgeStatus",
                     "not allowed"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EdgeGoodConfig, ConfigTestPasses) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  Httpd httpd(edge_options(std::string(kEdgeConfig) + "LPEdgeScheme https\nLPEdgeStatus 308\n"
                                                      "LPEdgeCacheControl \"max-age=3600, public\"\n"));
  auto [code, output] = httpd.config_test();
  EXPECT_EQ(code, 0) << output;
}

}  // namespace
}  // namespace lpweb::test
