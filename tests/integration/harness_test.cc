// The harness's own promises (tests/harness/httpd.cc): a crashed child fails the
// test whatever its log level, shutdown noise passes only once a stop began, a
// stop that needs SIGKILL or leaves a process in httpd's group fails the test, and
// trace mode raises only the loaded modules to trace8.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "httpd.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

// The pids whose parent is `parent`, from /proc.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file("/proc/" + name + "/stat");
    std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 1));
    std::string state;
    long ppid = 0;
    if (fields >> state >> ppid && ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

void append_to(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
}

// Runs `body`, returning the messages of the gtest failures it raised instead of failing.
template <typename F>
std::vector<std::string> failures_of(F body) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    body();
  }
  std::vector<std::string> out;
  for (int i = 0; i < results.size(); ++i) out.push_back(results.GetTestPartResult(i).message());
  return out;
}

TEST(HarnessTest, ChildKilledBySignalIsAnUnexpectedErrorThoughLoggedAtNotice) {
  Httpd httpd(HttpdOptions{});
  std::string error;
  ASSERT_TRUE(httpd.start(&error)) << error;
  EXPECT_TRUE(httpd.unexpected_errors().empty());
  std::vector<pid_t> children = children_of(httpd.pid());
  ASSERT_FALSE(children.empty());
  ASSERT_EQ(kill(children.front(), SIGSEGV), 0);
  // mpm_unix.c: "AH00052: child pid N exit signal Segmentation fault (11)" at notice (AH00051 with a core).
  ASSERT_TRUE(eventually([&] { return httpd.error_log().find("exit signal Segmentation fault") != std::string::npos; }, 30))
      << httpd.error_log();
  httpd.stop();
  std::vector<std::string> errors = httpd.unexpected_errors();
  ASSERT_EQ(errors.size(), 1u) << httpd.error_log();
  EXPECT_NE(errors[0].find("exit signal Segmentation fault"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find(":notice]"), std::string::npos) << errors[0];
}

TEST(HarnessTest, EventMpmShutdownNoiseIsToleratedOnlyOnceAStopBegan) {
  Httpd httpd(HttpdOptions{});
  std::string error;
  ASSERT_TRUE(httpd.start(&error)) << error;
  // The lines close_worker_sockets() provokes in mpm_event; written here, since the race is rare.
  const std::string noise[] = {
      "[mpm_event:error] [pid 1:tid 2] (9)Bad file descriptor: AH00468: error closing socket",
      "[mpm_event:error] [pid 1:tid 2] (9)Bad file descriptor: AH03092: process_lingering_close: apr_pollset_add failure",
      "[mpm_event:error] [pid 1:tid 2] (9)Bad file descriptor: AH03093: process_socket: apr_pollset_add failure for keep alive",
  };
  for (const std::string& line : noise) append_to(httpd.path("logs/error.log"), "[Tue Dec 01 00:00:00.000000 2026] " + line);
  httpd.stop();
  for (const std::string& line : noise) append_to(httpd.path("logs/error.log"), "[Tue Dec 01 00:00:01.000000 2026] " + line);
  append_to(httpd.path("logs/error.log"), "[Tue Dec 01 00:00:01.000000 2026] [core:error] [pid 1:tid 2] AH00000: other");

  std::vector<std::string> errors = httpd.unexpected_errors();
  ASSERT_EQ(errors.size(), 4u) << httpd.error_log();
  for (int i = 0; i < 3; ++i) EXPECT_NE(errors[i].find("00:00:00.000000"), std::string::npos) << errors[i];
  EXPECT_NE(errors[3].find("AH00000: other"), std::string::npos) << errors[3];
}

TEST(HarnessTest, AStopThatNeedsSigkillFailsTheTest) {
  HttpdOptions o;
  o.stop_deadline_seconds = 1;
  Httpd httpd(o);
  std::string error;
  ASSERT_TRUE(httpd.start(&error)) << error;
  pid_t pid = httpd.pid();
  ASSERT_EQ(kill(pid, SIGSTOP), 0);  // its stop signals stay pending: httpd never stops by itself
  std::vector<std::string> failures = failures_of([&] { httpd.stop(); });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("was still running 1 s after it was asked to stop and was killed with SIGKILL"), std::string::npos)
      << failures[0];
  EXPECT_NE(failures[0].find("error log tail:"), std::string::npos) << failures[0];
  EXPECT_EQ(kill(-pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "httpd's process group outlived stop()";
}

TEST(HarnessTest, AToolRunOutlivingHttpdFailsTheTestNamingIt) {
  LPWEB_SKIP_WITHOUT_LPICING();
  // The watcher runs the tool as the deploy user, who owns the store and the drop directory.
  IcingSite site("harness");
  std::string started = site.incoming + "/.tool-started";
  // A stand-in for `lpicing ingest` stuck on a slow disk: deaf to SIGTERM, never done.
  site.tool = site.dir + "/stuck-tool";
  write_file(site.tool, "#!/bin/sh\ntrap '' TERM HUP\necho $$ > " + started + "\nexec sleep 300\n");
  chmod(site.tool.c_str(), 0755);
  site.options.group_deadline_seconds = 2;
  std::string error;
  ASSERT_TRUE(site.start(site.drop_config(), &error)) << error;
  Httpd& httpd = site.httpd();
  pid_t group = httpd.pid();
  write_file(site.incoming + "/bundle.tar.gz", "not even a bundle");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(started) && !read_file(started).empty(); }, 30))
      << httpd.error_log();

  std::vector<std::string> failures = failures_of([&] { httpd.stop(); });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("process group " + std::to_string(group) + " still had processes 2 s after"),
            std::string::npos) << failures[0];
  EXPECT_NE(failures[0].find("sleep 300"), std::string::npos) << failures[0];
  EXPECT_EQ(kill(-group, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  std::vector<std::string> errors = httpd.unexpected_errors({"LPI0007"});
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST(HarnessTest, TraceModeRaisesEveryLoadedModuleOfOursToTrace8) {
  LPWEB_SKIP_WITHOUT_LPICING();
  ASSERT_EQ(setenv("LPWEB_TEST_TRACE", "1", 1), 0);  // this process only: ctest runs one test per process
  HttpdOptions o;
  o.log_level = "warn lpicing:debug";
  o.own_modules = {{"lpicing_module", LPWEB_MOD_LPICING}};
  Httpd httpd(o);
  auto [code, output] = httpd.config_test();
  EXPECT_EQ(code, 0) << output;
  std::string conf = read_file(httpd.path("httpd.conf"));
  EXPECT_NE(conf.find("LogLevel warn lpicing:debug lpicing:trace8\n"), std::string::npos) << conf;
  // LogLevel refuses a module that is not loaded.
  EXPECT_EQ(conf.find("lpedge:trace8"), std::string::npos) << conf;
  // A test about the LogLevel itself keeps it.
  o.follow_trace_mode = false;
  Httpd untraced(o);
  std::tie(code, output) = untraced.config_test();
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(read_file(untraced.path("httpd.conf")).find("LogLevel warn lpicing:debug\n"), std::string::npos);
  unsetenv("LPWEB_TEST_TRACE");
}

}  // namespace
}  // namespace lpweb::test
