// What an operator sees of mod_lpicing and mod_lpedge in a real httpd:
// request counters summed over prefork children (JSON and Prometheus text),
// and one debug log line per decision with LogLevel lpicing:debug lpedge:debug.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "client.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

std::string css_for(const std::string& rev) {
  std::string css = "/* revision " + rev + " */\n";
  for (int i = 0; i < 100; ++i) css += ".rule-" + std::to_string(i) + " { color: #123456; margin: 0 auto; }\n";
  return css;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The store is the tester's: the tool makes it at the first deploy.
class ObservabilityTest : public IcingSiteTest {
 protected:
  ObservabilityTest() : IcingSiteTest(StoreOwner::tester) {}
  void deploy(const std::string& rev) { site_->deploy_revision(rev, {{"css/app.css", css_for(rev)}}); }

  // The status once `total` icing requests are counted. A request is counted
  // when httpd logs it, just after its response went out, so poll.
  Response status_after(int total, const std::string& query = "") {
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      Response json = get(site_->port(), "localhost", "/lpicing-status");
      auto v = nlohmann::json::parse(json.body, nullptr, false);
      auto counted = v.is_object() ? v.find("requests_total") : v.end();
      if ((counted != v.end() && counted->is_number() && counted->get<double>() >= total) ||
          std::chrono::steady_clock::now() - start > std::chrono::seconds(10))
        return query.empty() ? json : get(site_->port(), "localhost", "/lpicing-status" + query);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
};

// One request of each outcome the module serves, on a kept-alive connection.
struct Outcome {
  int status;
  std::string request;
};

std::vector<Outcome> outcomes(const std::string& etag) {
  const std::string head = " HTTP/1.1\r\nHost: localhost\r\n";
  return {
      {200, "GET /+icing/rev100/css/app.css" + head + "\r\n"},
      {200, "GET /+icing/css/app.css" + head + "Accept-Encoding: gzip\r\n\r\n"},
      {304, "GET /+icing/rev100/css/app.css" + head + "If-None-Match: " + etag + "\r\n\r\n"},
      {404, "GET /+icing/rev100/css/missing.css" + head + "\r\n"},
      {404, "GET /+icing/rev999/css/app.css" + head + "\r\n"},
      {206, "GET /+icing/rev100/css/app.css" + head + "Range: bytes=10-99\r\n\r\n"},
      {405, "POST /+icing/rev100/css/app.css" + head + "Content-Length: 0\r\n\r\n"},
  };
}

TEST_F(ObservabilityTest, CountersSumEveryOutcomeAndBodyByteOverPreforkChildren) {
  deploy("100");
  site_->options.mpm = "prefork";
  site_->options.mpm_settings = "StartServers 3\nMinSpareServers 3\nMaxSpareServers 5\nMaxRequestWorkers 8";
  start();
  Response first = get(site_->port(), "localhost", "/+icing/rev100/css/app.css");
  std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());

  // Prefork serves one connection per child: holding three open spreads them over three children.
  constexpr int kConnections = 3, kRounds = 2;
  std::map<int, int> expected{{200, 1}};  // the request for the ETag above
  std::uint64_t body_bytes = first.body.size();
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int c = 0; c < kConnections; ++c) conns.push_back(std::make_unique<RawConnection>(site_->port()));
  for (int round = 0; round < kRounds; ++round) {
    for (auto& conn : conns) {
      for (const Outcome& outcome : outcomes(etag)) {
        ASSERT_TRUE(conn->send(outcome.request));
        Response r = conn->read_response();
        ASSERT_EQ(r.status, outcome.status) << outcome.request << r.error;
        expected[outcome.status]++;
        body_bytes += r.body.size();
      }
    }
  }
  conns.clear();
  // A 416 body is chunked on a kept-alive connection, which RawConnection does not read: libcurl does.
  for (int i = 0; i < kConnections * kRounds; ++i) {
    Request range;
    range.target = "/+icing/rev100/css/app.css";
    range.headers = {"Range: bytes=999999-"};
    Response r = fetch(site_->port(), range);
    ASSERT_EQ(r.status, 416) << r.error;
    expected[416]++;
    body_bytes += r.body.size();
  }
  int total = 0;
  for (auto [code, n] : expected) total += n;

  Response json = status_after(total);
  ASSERT_EQ(json.status, 200);
  auto status = nlohmann::json::parse(json.body, nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << json.body;
  EXPECT_EQ(status.at("current"), "100");  // the existing fields are still there
  ASSERT_TRUE(status.contains("requests")) << json.body;
  const auto& requests = status.at("requests");
  for (auto [code, n] : expected) {
    ASSERT_TRUE(requests.contains(std::to_string(code))) << code << " missing in " << json.body;
    EXPECT_EQ(requests.at(std::to_string(code)), n) << "status " << code << " in " << json.body;
  }
  EXPECT_EQ(requests.size(), expected.size()) << json.body;
  EXPECT_EQ(status.at("requests_total"), total);
  EXPECT_EQ(status.at("bytes_sent"), body_bytes) << json.body;

  Response prom = status_after(total, "?format=prometheus");
  ASSERT_EQ(prom.status, 200);
  EXPECT_EQ(prom.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  std::regex sample(R"(^([a-z_]+)(\{([a-z_]+="[^"]*")(,[a-z_]+="[^"]*")*\})? ([0-9]+)$)");
  std::istringstream lines(prom.body);
  std::map<std::string, std::string> values;  // "name{labels}" -> value
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, sample)) << "not `name{labels} value`: " << line;
    EXPECT_TRUE(m[1].str().rfind("lpicing_", 0) == 0 || m[1].str() == "lpweb_build_info") << line;
    values[line.substr(0, line.rfind(' '))] = m[5];
  }
  for (auto [code, n] : expected)
    EXPECT_EQ(values["lpicing_requests_total{status=\"" + std::to_string(code) + "\"}"], std::to_string(n)) << code;
  EXPECT_EQ(values["lpicing_sent_bytes_total"], std::to_string(body_bytes));
  EXPECT_EQ(values["lpicing_current_revision_info{revision=\"100\"}"], "1");
  EXPECT_EQ(values["lpicing_revisions"], "1");
  EXPECT_EQ(values["lpicing_revision_files{revision=\"100\"}"], "1");

  site_->httpd().stop();
  std::set<std::string> pids;
  std::istringstream log(site_->httpd().access_log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("/+icing/") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string host, pid;
    fields >> host >> pid;
    pids.insert(pid);
  }
  EXPECT_GE(pids.size(), 3u) << "requests were not spread over children:\n" << site_->httpd().access_log();
}

TEST_F(ObservabilityTest, CountersSurviveAGracefulRestart) {
  deploy("100");
  start();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(get(site_->port(), "localhost", "/+icing/rev100/css/app.css").status, 200);
  std::string error;
  ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
  ASSERT_EQ(get(site_->port(), "localhost", "/+icing/rev100/css/app.css").status, 200);
  Response prom = status_after(4, "?format=prometheus");
  EXPECT_NE(prom.body.find("lpicing_requests_total{status=\"200\"} 4\n"), std::string::npos) << prom.body;
}

TEST_F(ObservabilityTest, RequestsOutsideThePrefixAreNotCounted) {
  deploy("100");
  start();
  ASSERT_EQ(get(site_->port(), "localhost", "/not-icing.css").status, 404);
  ASSERT_EQ(get(site_->port(), "localhost", "/+icingx/a.css").status, 404);
  ASSERT_EQ(get(site_->port(), "localhost", "/+icing/rev100/css/app.css").status, 200);
  ASSERT_EQ(get(site_->port(), "localhost", "/lpicing-status").status, 200);
  Response json = status_after(1);
  EXPECT_NE(json.body.find("\"requests_total\": 1, \"bytes_sent\": " + std::to_string(css_for("100").size()) + ", "),
            std::string::npos) << json.body;
}

TEST_F(ObservabilityTest, DebugLogHasOneLinePerDecisionOfEachModule) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  deploy("100");
  site_->options.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}, {"lpedge_module", LPWEB_MOD_LPEDGE}};
  site_->options.log_level = "warn lpicing:debug lpedge:debug";
  start("LPEdgeRedirect edge.example.net example.net\nLPEdgeExempt /health\n");
  int port = site_->port();
  Request br;
  br.target = "/+icing/rev100/css/app.css";
  br.headers = {"Accept-Encoding: br"};
  ASSERT_EQ(fetch(port, br).status, 200);
  ASSERT_EQ(get(port, "localhost", "/+icing/css/app.css").status, 200);
  ASSERT_EQ(get(port, "localhost", "/+icing/rev100/css/nope.css").status, 404);
  ASSERT_EQ(get(port, "localhost", "/+icing/rev7/css/app.css").status, 404);
  ASSERT_EQ(get(port, "bugs.edge.example.net", "/a/b?c=1").status, 301);
  get(port, "edge.example.net", "/health");
  site_->httpd().stop();
  std::string log = site_->httpd().error_log();

  EXPECT_EQ(count_of(log, "LPI0103: /+icing/rev100/css/app.css: versioned revision 100, file css/app.css, br "
                          "variant (Accept-Encoding: br), serving " + site_->store + "/revisions/100/files/css/app.css.br"),
            1) << log;
  EXPECT_EQ(count_of(log, "LPI0103: /+icing/css/app.css: current revision 100, file css/app.css, identity variant "
                          "(Accept-Encoding: none), serving " + site_->store + "/revisions/100/files/css/app.css\n"),
            1) << log;
  EXPECT_EQ(count_of(log, "LPI0102: /+icing/rev100/css/nope.css: no such file in revision 100: 404"), 1) << log;
  EXPECT_EQ(count_of(log, "LPI0102: /+icing/rev7/css/app.css: not in the store: revision 7: 404"), 1) << log;
  EXPECT_EQ(count_of(log, "LPE0110: GET /a/b?c=1 on bugs.edge.example.net matched edge host edge.example.net: 301 to "
                          "http://bugs.example.net/a/b?c=1"),
            1) << log;
  EXPECT_EQ(count_of(log, "LPE0112: GET /health on edge.example.net matched edge host edge.example.net: exempt"), 1)
      << log;
  // Every line of these two modules carries a project tag.
  std::istringstream lines(log);
  std::regex tagged(R"(\[(lpicing|lpedge):[a-z0-9]+\].*\] (LPI|LPE)[0-9]{4}: )");
  for (std::string line; std::getline(lines, line);) {
    if (line.find("[lpicing:") != std::string::npos || line.find("[lpedge:") != std::string::npos) {
      EXPECT_TRUE(std::regex_search(line, tagged)) << line;
    }
  }
}

TEST_F(ObservabilityTest, DebugLinesAreAbsentAtTheDefaultLevel) {
  deploy("100");
  site_->options.follow_trace_mode = false;  // the default level is what this test is about
  start();
  ASSERT_EQ(get(site_->port(), "localhost", "/+icing/rev100/css/app.css").status, 200);
  site_->httpd().stop();
  EXPECT_EQ(site_->httpd().error_log().find("LPI0103"), std::string::npos);
}

}  // namespace
}  // namespace lpweb::test
