// `lpicing wait` against two real httpds with mod_lpicing: it returns once
// every web server has the revision, and times out (exit 4) naming the ones
// that lack it and why. The stores are changed by the real lpicing tool.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

using Clock = std::chrono::steady_clock;

// A generous bound on any `lpicing wait` here: past it the tool is killed and the test
// fails, instead of hanging until ctest's timeout.
constexpr double kToolDeadline = 90;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// `lpicing wait --json` output read back; discarded when it is not one JSON text.
nlohmann::json parse_json(const std::string& text) { return nlohmann::json::parse(text, nullptr, false); }

// A web server that accepts connections and reads requests but never answers: a
// hung httpd, or a firewall that lets SYNs through. Runs on its own thread.
class SilentServer {
 public:
  SilentServer() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_, 16) != 0 || getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        pipe2(stop_, O_CLOEXEC) != 0)
      throw std::runtime_error("cannot set up the silent server");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~SilentServer() {
    (void)!write(stop_[1], "x", 1);
    thread_.join();
    for (int fd : {listener_, stop_[0], stop_[1]}) close(fd);
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  long bytes_read() const { return bytes_read_; }

 private:
  void run() {
    std::vector<int> connections;
    for (;;) {
      std::vector<pollfd> fds = {{stop_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
      for (int c : connections) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents) break;
      if (fds[1].revents & POLLIN) {
        int c = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          connections.push_back(c);
          ++accepted_;
        }
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        char buf[4096];
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          bytes_read_ += n;
        } else {  // the client gave up: forget the connection
          close(fds[i].fd);
          connections.erase(std::find(connections.begin(), connections.end(), fds[i].fd));
        }
      }
    }
    for (int c : connections) close(c);
  }

  int listener_ = -1;
  int stop_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<long> bytes_read_{0};
  std::thread thread_;
};

// Two web servers, each a site with a store of the tester's (the tool makes it at the
// first deploy); the second may never get one (LPI0007).
class GateTest : public IcingSiteTest {
 protected:
  GateTest() : IcingSiteTest(StoreOwner::tester) {}
  void SetUp() override {
    IcingSiteTest::SetUp();
    web_[0] = site_;
    web_[1] = &add_site("gate");
    allowed_errors_ = {"LPI0007"};
  }

  void start_both() {
    for (IcingSite* w : web_) ASSERT_NO_FATAL_FAILURE(start(*w));
  }

  void deploy(int server, const std::string& rev, std::vector<std::string> extra = {}) {
    web_[server]->deploy_revision(rev, {{"css/app.css", "/* revision " + rev + " */\nbody { color: red; }\n"}},
                                  std::move(extra));
  }

  IcingSite* web_[2] = {};
};

TEST_F(GateTest, TimesOutWithExit4NamingOnlyTheServerThatLacksTheRevision) {
  deploy(0, "199");
  deploy(1, "199");
  deploy(0, "200");
  start_both();
  auto start = Clock::now();
  CommandResult r = run_tool({"wait", "--rev", "200", "--timeout", "1.5", web_[0]->status_url(), web_[1]->status_url()},
                             kToolDeadline);
  double took = seconds_since(start);
  RecordProperty("seconds_to_exit", std::to_string(took));
  ASSERT_FALSE(r.timed_out) << "lpicing wait still ran " << kToolDeadline << " s later:\n" << r.err;
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find(web_[1]->status_url() + " lacks revision 200: revision 200 absent (current is 199)"),
            std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(web_[0]->status_url() + " lacks"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(web_[0]->status_url() + " ready"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 2 servers lack revision 200: " + web_[1]->status_url()), std::string::npos) << r.err;
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
    r = run_tool({"wait", "--rev", "200", "--timeout", "60", "--json", web_[0]->status_url(), web_[1]->status_url()},
                 kToolDeadline);
  });
  // Deploy only after wait has asked the second server at least once.
  auto asked = [&] { return web_[1]->httpd().access_log().find("GET /lpicing-status") != std::string::npos; };
  while (!asked() && seconds_since(start) < 30) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(asked());
  deploy(1, "200");
  double deployed_at = seconds_since(start);
  waiter.join();
  double took = seconds_since(start);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RecordProperty("seconds_from_deploy_to_exit", std::to_string(took - deployed_at));
  std::size_t absent = r.err.find(web_[1]->status_url() + " not ready: revision 200 absent");
  std::size_t ready = r.err.find(web_[1]->status_url() + " ready: revision 200 present (2 of 2 ready");
  EXPECT_NE(absent, std::string::npos) << r.err;
  EXPECT_NE(ready, std::string::npos) << r.err;
  EXPECT_LT(absent, ready) << r.err;

  auto json = parse_json(r.out);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  EXPECT_EQ(json.at("ready"), true);
  const auto& servers = json.at("servers");
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].at("current"), "199");
  // The deploy renames revision 200 into place, then flips current: wait may have
  // seen it present while current was still 199.
  const auto& current = servers[1].at("current");
  EXPECT_TRUE(current == "199" || current == "200") << current;
  EXPECT_EQ(servers[0].at("polls"), 1);
  EXPECT_GE(servers[1].at("polls").get<double>(), 2);
  EXPECT_GT(servers[1].at("ready_after_seconds").get<double>(), servers[0].at("ready_after_seconds").get<double>());
}

TEST_F(GateTest, UnreachableAndWrongUrlsAreNamedWithTheirReason) {
  deploy(0, "200");
  start_both();
  std::string closed = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/lpicing-status";
  std::string wrong = "http://127.0.0.1:" + std::to_string(web_[1]->port()) + "/no-such-status";
  CommandResult r = run_tool({"wait", "--rev", "200", "--timeout", "1", "--json", web_[0]->status_url(), closed, wrong},
                             kToolDeadline);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find(closed + " lacks revision 200: unreachable: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(wrong + " lacks revision 200: HTTP status 404"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 of 3 servers lack revision 200: " + closed + ", " + wrong), std::string::npos) << r.err;

  auto json = parse_json(r.out);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  EXPECT_EQ(json.at("ready"), false);
  EXPECT_EQ(json.at("revision"), "200");
  const auto& servers = json.at("servers");
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].at("state"), "ready");
  EXPECT_EQ(servers[0].at("http_status"), 200);
  EXPECT_EQ(servers[1].at("url"), closed);
  EXPECT_EQ(servers[1].at("state"), "unreachable");
  EXPECT_TRUE(servers[1].at("http_status").is_null());
  EXPECT_EQ(servers[2].at("state"), "http_error");
  EXPECT_EQ(servers[2].at("http_status"), 404);
  EXPECT_TRUE(servers[2].at("ready_after_seconds").is_null());
}

TEST_F(GateTest, ASilentServerIsNamedUnreachableAndWaitStillEndsAtItsTimeout) {
  deploy(0, "200");
  ASSERT_NO_FATAL_FAILURE(start(*web_[0]));
  SilentServer silent;
  const std::string silent_url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/lpicing-status";
  auto start = Clock::now();
  CommandResult r = run_tool({"wait", "--rev", "200", "--timeout", "3", "--json", web_[0]->status_url(), silent_url},
                             kToolDeadline);
  double took = seconds_since(start);
  RecordProperty("seconds_to_exit", std::to_string(took));
  ASSERT_FALSE(r.timed_out) << "lpicing wait still ran " << kToolDeadline << " s later:\n" << r.err;
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_GE(took, 3.0) << "wait gave up before its timeout";
  EXPECT_GT(silent.accepted(), 0) << "wait never connected to the silent server";
  EXPECT_GT(silent.bytes_read(), 0) << "wait never sent its request";
  EXPECT_NE(r.err.find(web_[0]->status_url() + " ready: revision 200 present"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(web_[0]->status_url() + " lacks"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(silent_url + " lacks revision 200: unreachable: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 2 servers lack revision 200: " + silent_url + "\n"), std::string::npos) << r.err;

  auto json = parse_json(r.out);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  const auto& servers = json.at("servers");
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].at("state"), "ready");
  EXPECT_EQ(servers[1].at("state"), "unreachable");
  EXPECT_GE(servers[1].at("polls").get<double>(), 1);
}

TEST_F(GateTest, CurrentFlagWaitsForTheRevisionToBeCurrent) {
  deploy(0, "199");
  deploy(0, "200", {"--no-activate"});
  start_both();
  CommandResult present = run_tool({"wait", "--rev", "200", "--timeout", "5", web_[0]->status_url()}, kToolDeadline);
  EXPECT_EQ(present.exit_code, 0) << present.err;
  CommandResult current =
      run_tool({"wait", "--rev", "200", "--current", "--timeout", "0.5", web_[0]->status_url()}, kToolDeadline);
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
    CommandResult r = run_tool(args, kToolDeadline);
    EXPECT_EQ(r.exit_code, 64) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("\nTry 'lpicing wait --help' for more information.\n"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace lpweb::test
