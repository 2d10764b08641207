// Deploys an operator can see and alert on, through a real httpd: the drop
// directory's outcomes, waiting bundles and the watcher's heartbeat on the
// lpicing-status page (JSON and Prometheus text), kept across graceful
// restarts, an ingest cut by a restart or killed over its time limit still
// counted; lpweb_build_info on both status pages; both modules' sections
// of mod_status's /server-status (HTML and ?auto); promtool accepting both
// Prometheus pages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "icing_site.h"

namespace lpweb::test {
namespace {

std::string css_for(const std::string& rev) { return "/* revision " + rev + " */\nbody { color: #123456; }\n"; }

Files small_files(const std::string& rev) { return {{"css/app.css", css_for(rev)}}; }

// A bundle whose ingest takes a few seconds (brotli 11 over ~3 MB of text):
// long enough for a graceful restart or a time limit to land in it.
Files slow_files(const std::string& rev, int modules) {
  Files files = small_files(rev);
  for (int i = 0; i < modules; ++i) {
    std::string js = "// " + rev + " module " + std::to_string(i) + "\n";
    while (js.size() < 16 * 1024)
      js += "export const v" + std::to_string(js.size()) + " = '" + rev + "-" + std::to_string(i * 7919 + js.size()) + "';\n";
    files["js/m" + std::to_string(i) + ".js"] = js;
  }
  return files;
}

// The value of the sample whose line starts with `series` ("name{labels}"),
// or -1 when there is none.
double sample(const std::string& text, const std::string& series) {
  std::size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return -1;
}

class StatusTest : public IcingSiteTest {
 protected:
  void SetUp() override {
    IcingSiteTest::SetUp();
    if (!site_) return;
    site_->options.httpd_modules = {"status"};
    site_->options.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}, {"lpedge_module", LPWEB_MOD_LPEDGE}};
  }
  // Both modules, both status pages, mod_status, and the drop directory.
  void start_site(const std::string& extra = "") {
    start(site_->drop_config() +
          "LPEdgeRedirect edge.test localhost\n"
          "<Location /lpedge-status>\n  SetHandler lpedge-status\n</Location>\n"
          "<Location /server-status>\n  SetHandler server-status\n</Location>\n" +
          extra);
  }
  nlohmann::json status() {
    auto v = nlohmann::json::parse(site_->get("/lpicing-status").body, nullptr, false);
    return v.is_discarded() ? nlohmann::json::object() : v;
  }
  std::string prometheus(const std::string& page = "/lpicing-status") {
    return site_->get(page + "?format=prometheus").body;
  }
  // The drop's ingest counter for `result` once it reaches `at_least`, or its last value.
  double ingest_count_reaching(const std::string& result, double at_least, double seconds = 180) {
    double n = -1;
    eventually(
        [&] {
          n = sample(prometheus(), "lpicing_ingest_total{result=\"" + result + "\"}");
          return n >= at_least;
        },
        seconds);
    return n;
  }
  bool staging_busy() {
    std::error_code ec;
    std::filesystem::directory_iterator it(site_->store + "/staging", ec);
    return !ec && it != std::filesystem::directory_iterator();
  }
  // A file that is not a bundle, dropped the documented way.
  void drop_garbage(const std::string& name) {
    std::string path = site_->dir + "/garbage";
    write_file(path, "this is not a tar archive\n");
    site_->drop(path, name);
  }
};

TEST_F(StatusTest, DropOutcomesAreCountedWithTheLastRejectionAndSurviveAGracefulRestart) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  allowed_errors_ = {"LPI0312"};
  start_site();
  std::int64_t before = static_cast<std::int64_t>(::time(nullptr));
  site_->drop(site_->pack("100", small_files("100")), "good.tar.gz");
  EXPECT_EQ(ingest_count_reaching("deployed", 1), 1);
  drop_garbage("broken.tar.gz");
  EXPECT_EQ(ingest_count_reaching("rejected", 1), 1);
  // The journal counts the outcome as the ingest ends; the watcher sees the
  // drop directory empty a moment later.
  EXPECT_TRUE(eventually([&] { return sample(prometheus(), "lpicing_incoming_pending") == 0; }, 60));

  nlohmann::json drop = status().value("drop", nlohmann::json::object());
  EXPECT_EQ(drop.value("last_rejected_bundle", ""), "broken.tar.gz") << drop;
  EXPECT_FALSE(drop.value("last_rejection_reason", "").empty()) << drop;
  EXPECT_GE(drop.value("last_success", 0), before) << drop;
  EXPECT_GE(drop.value("last_rejection", 0), drop.value("last_success", 0)) << drop;
  EXPECT_EQ(drop.value("incoming_pending", -1), 0) << drop;
  EXPECT_GE(drop.value("watcher_seen", 0), before) << drop;

  std::string text = prometheus();
  EXPECT_EQ(sample(text, "lpicing_ingest_total{result=\"error\"}"), 0) << text;
  EXPECT_EQ(sample(text, "lpicing_incoming_pending"), 0) << text;
  EXPECT_GE(sample(text, "lpicing_ingest_last_success_timestamp_seconds"), before) << text;
  EXPECT_NE(text.find("lpicing_ingest_last_rejection_info{bundle=\"broken.tar.gz\",reason=\""), std::string::npos) << text;
  EXPECT_NE(text.find("lpweb_build_info{version=\""), std::string::npos) << text;

  std::string error;
  ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
  std::string after = prometheus();
  EXPECT_EQ(sample(after, "lpicing_ingest_total{result=\"deployed\"}"), 1) << after;
  EXPECT_EQ(sample(after, "lpicing_ingest_total{result=\"rejected\"}"), 1) << after;
  EXPECT_EQ(sample(after, "lpicing_ingest_last_rejection_timestamp_seconds"),
            sample(text, "lpicing_ingest_last_rejection_timestamp_seconds"));
  // The new watcher reports itself alive again.
  EXPECT_TRUE(eventually([&] { return sample(prometheus(), "lpicing_watcher_last_seen_timestamp_seconds") > 0; }, 60));
}

// Ties in with the journal: the ingest outlives its watcher; the outcome is still counted, once.
TEST_F(StatusTest, IngestCutByAGracefulRestartIsCountedOnce) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  start_site();
  site_->drop(site_->pack("500", slow_files("500", 200)), "slow.tar.gz");
  ASSERT_TRUE(eventually([&] { return staging_busy(); }, 180)) << site_->httpd().error_log();
  std::string error;
  ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
  EXPECT_EQ(ingest_count_reaching("deployed", 1), 1) << site_->httpd().error_log();
  ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
  site_->drop(site_->pack("501", small_files("501")), "next.tar.gz");
  EXPECT_EQ(ingest_count_reaching("deployed", 2), 2);
  // And logged once each, by whichever watcher was alive.
  auto logged = [&] {
    std::string log = site_->httpd().error_log();
    std::size_t lines = 0;
    for (std::size_t at = log.find("LPI0310"); at != std::string::npos; at = log.find("LPI0310", at + 1)) ++lines;
    return lines;
  };
  EXPECT_TRUE(eventually([&] { return logged() >= 2; }, 60)) << site_->httpd().error_log();
  EXPECT_EQ(logged(), 2u) << site_->httpd().error_log();
}

// The watcher journals what a killed ingest could not: an error, the bundle still waiting.
TEST_F(StatusTest, IngestKilledOverItsTimeLimitIsAnErrorAndItsBundleStaysPending) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  allowed_errors_ = {"LPI0316", "LPI0309"};
  start_site("LPIcingIngestTimeout 1\n");
  site_->drop(site_->pack("600", slow_files("600", 1000)), "slow.tar.gz");
  EXPECT_GE(ingest_count_reaching("error", 1), 1) << site_->httpd().error_log();
  EXPECT_EQ(status().value("drop", nlohmann::json::object()).value("incoming_pending", -1), 1);
  EXPECT_EQ(sample(prometheus(), "lpicing_ingest_total{result=\"deployed\"}"), 0);
  // Logged once as the timeout, not a second time from the journal record.
  std::string log = site_->httpd().error_log();
  EXPECT_EQ(log.find("LPI0313"), std::string::npos) << log;
}

TEST_F(StatusTest, ModStatusHasASectionOfEachModuleInHtmlAndAuto) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  site_->deploy_revision("100", small_files("100"));
  start_site();
  EXPECT_EQ(site_->get("/x?y", {}, "bugs.edge.test").status, 301);
  EXPECT_EQ(site_->get("/+icing/rev100/css/app.css").status, 200);
  std::string text;
  // Requests are counted when logged, just after the response: poll.
  EXPECT_TRUE(eventually(
      [&] {
        text = site_->get("/server-status?auto").body;
        return text.find("LPIcingRequestsTotal_localhost: 1\n") != std::string::npos;
      },
      10))
      << text;
  for (const char* line : {"LPEdgeRedirectsTotal: 1\n", "LPEdgeRedirects_edge.test_301: 1\n",
                           "LPIcingServer_localhost: localhost\n", "LPIcingCurrentRevision_localhost: 100\n",
                           "LPIcingRevisions_localhost: 1\n", "LPIcingRequests200_localhost: 1\n",
                           "LPIcingIngestDeployed_localhost: 0\n", "LPIcingIncomingPending_localhost: 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_EQ(text.find(site_->store), std::string::npos) << "a status page names no path";
  std::string html = site_->get("/server-status").body;
  EXPECT_NE(html.find("<h2>mod_lpedge redirects</h2>"), std::string::npos) << html;
  EXPECT_NE(html.find("<h2>mod_lpicing store of "), std::string::npos) << html;
  EXPECT_EQ(html.find(site_->store), std::string::npos) << "a status page names no path";
}

TEST_F(StatusTest, BothJsonPagesNameTheBuild) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  start_site();
  for (const char* page : {"/lpicing-status", "/lpedge-status"}) {
    auto v = nlohmann::json::parse(site_->get(page).body, nullptr, false);
    ASSERT_TRUE(v.is_object()) << page;
    EXPECT_FALSE(v["build"].value("version", "").empty()) << page << v;
    EXPECT_EQ(v["build"].value("httpd", "").rfind("2.4.", 0), 0u) << page << v;
  }
}

// Debian's prometheus package; the test skips only where it is not installed.
TEST_F(StatusTest, PromtoolAcceptsBothPrometheusPages) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  allowed_errors_ = {"LPI0312"};
  site_->deploy_revision("100", small_files("100"));
  start_site();
  EXPECT_EQ(site_->get("/x", {}, "a.edge.test").status, 301);
  EXPECT_EQ(site_->get("/+icing/rev100/css/app.css").status, 200);
  drop_garbage("broken \"one\".tar.gz");  // a label value that needs escaping
  ASSERT_EQ(ingest_count_reaching("rejected", 1), 1);
  for (const char* page : {"/lpicing-status", "/lpedge-status"}) {
    std::string file = site_->dir + "/metrics.txt";
    write_file(file, prometheus(page));
    CommandResult r = run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < \"$0\"", file}, 60);
    EXPECT_EQ(r.exit_code, 0) << page << "\n" << r.out << r.err;
    EXPECT_EQ(r.out + r.err, "") << page;
  }
}

}  // namespace
}  // namespace lpweb::test
