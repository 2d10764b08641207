// `lpicing wait` against two real httpds with mod_lpicing: it returns once
// every web server has the revision, and times out (exit 4) naming the ones
// that lack it and why. The stores are changed by the real lpicing tool.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "client.h"
#include "gate.h"
#include "httpd.h"

namespace lpweb::test {
namespace {

using Clock = std::chrono::steady_clock;

CommandResult tool(std::vector<std::string> args) {
  args.insert(args.begin(), LPWEB_LPICING_TOOL);
  return run_command(args);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct WebServer {
  std::string store;
  std::unique_ptr<Httpd> httpd;
  std::string status_url() const { return "http://127.0.0.1:" + std::to_string(httpd->port()) + "/lpicing-status"; }
};

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = make_temp_dir("gate");
    for (int i = 0; i < 2; ++i) {
      web_[i].store = work_ + "/store" + std::to_string(i + 1);
      HttpdOptions o;
      o.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}};
      o.config = "LPIcingStore \"" + web_[i].store + "\"\n<Location /lpicing-status>\n  SetHandler lpicing-status\n"
                 "</Location>\n";
      web_[i].httpd = std::make_unique<Httpd>(o);
    }
  }
  void TearDown() override {
    for (WebServer& w : web_) {
      if (!w.httpd) continue;
      w.httpd->stop();
      auto errors = w.httpd->unexpected_errors({"LPI0007"});
      EXPECT_TRUE(errors.empty()) << "unexpected error-log lines:\n" << errors.front();
    }
    if (!std::getenv("LPWEB_KEEP_TEST_DIRS")) remove_tree(work_);
  }

  void start_both() {
    for (WebServer& w : web_) {
      std::string error;
      ASSERT_TRUE(w.httpd->start(&error)) << error;
    }
  }

  void deploy(int server, const std::string& rev, std::vector<std::string> extra = {}) {
    std::string src = work_ + "/src-" + rev;
    std::filesystem::create_directories(src + "/css");
    write_file(src + "/css/app.css", "/* revision " + rev + " */\nbody { color: red; }\n");
    std::string bundle = work_ + "/bundle-" + rev + ".tar.gz";
    if (!std::filesystem::exists(bundle)) {
      CommandResult packed = tool({"pack", src, "-r", rev, "-o", bundle});
      ASSERT_EQ(packed.exit_code, 0) << packed.err;
    }
    std::vector<std::string> args = {"deploy", bundle, "--store", web_[server].store};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = tool(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string work_;
  WebServer web_[2];
};

TEST_F(GateTest, TimesOutWithExit4NamingOnlyTheServerThatLacksTheRevision) {
  deploy(0, "199");
  deploy(1, "199");
  deploy(0, "200");
  start_both();
  auto start = Clock::now();
  CommandResult r = tool({"wait", "--rev", "200", "--timeout", "1.5", web_[0].status_url(), web_[1].status_url()});
  double took = seconds_since(start);
  RecordProperty("seconds_to_exit", std::to_string(took));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find(web_[1].status_url() + " lacks revision 200: revision 200 absent (current is 199)"),
            std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(web_[0].status_url() + " lacks"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(web_[0].status_url() + " ready"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 2 servers lack revision 200: " + web_[1].status_url()), std::string::npos) << r.err;
  EXPECT_GE(took, 1.5) << "wait gave up before its timeout";
  EXPECT_TRUE(r.out.empty()) << "stdout is for --json only: " << r.out;
}

TEST_F(GateTest, ReturnsOnceTheRevisionIsDeployedOnTheLastServer) {
  deploy(0, "199");
  deploy(1, "199");
  deploy(0, "200", {"--no-activate"});  // present is enough: appservers may roll before it is current
  start_both();
  CommandResult r;
  auto start = Clock::now();
  std::thread waiter([&] {
    r = tool({"wait", "--rev", "200", "--timeout", "60", "--json", web_[0].status_url(), web_[1].status_url()});
  });
  // Deploy only after wait has asked the second server at least once.
  auto asked = [&] { return web_[1].httpd->access_log().find("GET /lpicing-status") != std::string::npos; };
  while (!asked() && seconds_since(start) < 30) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(asked());
  deploy(1, "200");
  double deployed_at = seconds_since(start);
  waiter.join();
  double took = seconds_since(start);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RecordProperty("seconds_from_deploy_to_exit", std::to_string(took - deployed_at));
  std::size_t absent = r.err.find(web_[1].status_url() + " not ready: revision 200 absent");
  std::size_t ready = r.err.find(web_[1].status_url() + " ready: revision 200 present (2 of 2 ready");
  EXPECT_NE(absent, std::string::npos) << r.err;
  EXPECT_NE(ready, std::string::npos) << r.err;
  EXPECT_LT(absent, ready) << r.err;

  std::string error;
  auto json = lpicing::parse_json(r.out, &error);
  ASSERT_TRUE(json) << error << "\n" << r.out;
  EXPECT_TRUE(json->get("ready")->boolean);
  const auto& servers = json->get("servers")->array;
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].get("current")->string, "199");
  EXPECT_EQ(servers[1].get("current")->string, "200");
  EXPECT_EQ(servers[0].get("polls")->number, 1);
  EXPECT_GE(servers[1].get("polls")->number, 2);
  EXPECT_GT(servers[1].get("ready_after_seconds")->number, servers[0].get("ready_after_seconds")->number);
}

TEST_F(GateTest, UnreachableAndWrongUrlsAreNamedWithTheirReason) {
  deploy(0, "200");
  start_both();
  std::string closed = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/lpicing-status";
  std::string wrong = "http://127.0.0.1:" + std::to_string(web_[1].httpd->port()) + "/no-such-status";
  CommandResult r = tool({"wait", "--rev", "200", "--timeout", "1", "--json", web_[0].status_url(), closed, wrong});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find(closed + " lacks revision 200: unreachable: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(wrong + " lacks revision 200: HTTP status 404"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 of 3 servers lack revision 200: " + closed + ", " + wrong), std::string::npos) << r.err;

  std::string error;
  auto json = lpicing::parse_json(r.out, &error);
  ASSERT_TRUE(json) << error << "\n" << r.out;
  EXPECT_FALSE(json->get("ready")->boolean);
  EXPECT_EQ(json->get("revision")->string, "200");
  const auto& servers = json->get("servers")->array;
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].get("state")->string, "ready");
  EXPECT_EQ(servers[0].get("http_status")->number, 200);
  EXPECT_EQ(servers[1].get("url")->string, closed);
  EXPECT_EQ(servers[1].get("state")->string, "unreachable");
  EXPECT_EQ(servers[1].get("http_status")->type, lpicing::JsonValue::Type::null);
  EXPECT_EQ(servers[2].get("state")->string, "http_error");
  EXPECT_EQ(servers[2].get("http_status")->number, 404);
  EXPECT_EQ(servers[2].get("ready_after_seconds")->type, lpicing::JsonValue::Type::null);
}

TEST_F(GateTest, CurrentFlagWaitsForTheRevisionToBeCurrent) {
  deploy(0, "199");
  deploy(0, "200", {"--no-activate"});
  start_both();
  CommandResult present = tool({"wait", "--rev", "200", "--timeout", "5", web_[0].status_url()});
  EXPECT_EQ(present.exit_code, 0) << present.err;
  CommandResult current = tool({"wait", "--rev", "200", "--current", "--timeout", "0.5", web_[0].status_url()});
  EXPECT_EQ(current.exit_code, 4) << current.err;
  EXPECT_NE(current.err.find("present but not current (current is 199)"), std::string::npos) << current.err;
}

TEST(GateUsage, BadArgumentsExit64WithAUsageLine) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"wait", "http://127.0.0.1:1/lpicing-status"},
           {"wait", "--rev", "../x", "http://127.0.0.1:1/lpicing-status"},
           {"wait", "--rev", "1"},
           {"wait", "--rev", "1", "--timeout", "soon", "http://127.0.0.1:1/lpicing-status"},
           {"wait", "--rev", "1", "web1/lpicing-status"},
           {"wait", "--rev", "1", "--store", "/tmp", "http://127.0.0.1:1/lpicing-status"}}) {
    CommandResult r = tool(args);
    EXPECT_EQ(r.exit_code, 64) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("usage: lpicing"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace lpweb::test
