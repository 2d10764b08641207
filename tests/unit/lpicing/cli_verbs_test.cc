// The lpicing verbs' conventions, through the real binary: pack onto a pipe,
// --quiet and --verbose, prune --dry-run, --json (and its failure object),
// exit 66 for an input that cannot be read, and deploy's progress line on a
// terminal (at most 10 redraws a second, none off a terminal).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>

#include "lpicing_test_util.h"
#include "progress.h"

namespace {

using lpicing_test::run_tool;
using lpicing_test::TempDir;
using lpicing_test::ToolRun;
using nlohmann::json;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// What a run with stdout and stderr on given descriptors wrote to `read_fd`.
struct RawRun {
  int exit_code = -1;
  std::string bytes;
  double seconds = 0;
};

// Runs the tool with stdout and/or stderr on `write_fd` (closed here once the
// tool has it) and reads `read_fd` until every writer is gone.
RawRun run_tool_on(const std::vector<std::string>& args, int read_fd, int write_fd, bool as_stdout, bool as_stderr) {
  std::vector<std::string> argv = {LPICING_TOOL};
  argv.insert(argv.end(), args.begin(), args.end());
  lpweb_test::SpawnOptions options;
  if (as_stdout) options.out_fd = write_fd;
  if (as_stderr) options.err_fd = write_fd;
  RawRun run;
  auto start = std::chrono::steady_clock::now();
  std::string error;
  pid_t pid = lpweb_test::spawn_process(argv, options, &error);
  close(write_fd);
  if (pid < 0) {
    ADD_FAILURE() << error;
    return run;
  }
  char buf[65536];
  // A pipe ends with 0, a terminal's master with EIO once the slave is closed.
  for (ssize_t n; (n = read(read_fd, buf, sizeof buf)) > 0;) run.bytes.append(buf, static_cast<std::size_t>(n));
  int status = 0;
  waitpid(pid, &status, 0);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  close(read_fd);
  return run;
}

RawRun run_on_pipe_stdout(const std::vector<std::string>& args) {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
  return run_tool_on(args, p[0], p[1], true, false);
}

// A terminal that passes bytes as written (no "\n" to "\r\n").
RawRun run_on_terminal(const std::vector<std::string>& args, bool as_stdout, bool as_stderr) {
  int master = -1, slave = -1;
  EXPECT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  termios raw;
  tcgetattr(slave, &raw);
  cfmakeraw(&raw);
  tcsetattr(slave, TCSANOW, &raw);
  fcntl(master, F_SETFD, FD_CLOEXEC);
  fcntl(slave, F_SETFD, FD_CLOEXEC);
  return run_tool_on(args, master, slave, as_stdout, as_stderr);
}

// Makes a revision look deployed `seconds` ago, as pruning sees it (INDEX).
void age_revision(const std::string& store, const std::string& revision, std::int64_t seconds) {
  std::string index = store + "/revisions/" + revision + "/INDEX";
  std::string text = lpicing_test::slurp(index);
  std::string when = std::to_string(static_cast<std::int64_t>(time(nullptr)) - seconds);
  text = std::regex_replace(text, std::regex("\ndeployed\t[0-9]+\n"), "\ndeployed\t" + when + "\n",
                            std::regex_constants::format_first_only);
  lpicing_test::write_file(index, text);
}

class CliVerbsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = tmp_ / "store";
    for (int i = 1; i <= 4; ++i) bundle("r" + std::to_string(i));
    lpicing_test::BundleSpec bad;
    bad.files = {{"a/../b", "x"}};
    lpicing_test::write_bundle(tmp_ / "bad.tar.gz", bad);
  }
  std::string bundle(const std::string& revision) {
    lpicing_test::BundleSpec s;
    s.revision = revision;
    s.files = {{"css/app.css", lpicing_test::css_text(30)}, {"js/" + revision + ".js", "var x = 1;\n"}};
    std::string path = tmp_ / (revision + ".tar.gz");
    lpicing_test::write_bundle(path, s);
    return path;
  }
  void deploy(const std::string& revision) {
    ToolRun r = run_tool({"deploy", tmp_ / (revision + ".tar.gz"), "--store", store_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // r1 .. r4 deployed, r4 current, r3 previous, all older than the prune grace hour.
  void four_old_revisions() {
    for (const char* r : {"r1", "r2", "r3", "r4"}) deploy(r);
    for (int i = 1; i <= 4; ++i) age_revision(store_, "r" + std::to_string(i), 7200 - i);
  }
  json list_json() {
    ToolRun r = run_tool({"list", "--store", store_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  TempDir tmp_;
  std::string store_;
};

TEST_F(CliVerbsTest, PackOntoAPipeWritesTheSameValidBundleAndNoFileNamedDash) {
  mkdir((tmp_ / "src").c_str(), 0755);
  lpicing_test::write_file(tmp_ / "src/app.css", lpicing_test::css_text(40));
  ASSERT_EQ(run_tool({"pack", tmp_ / "src", "-r", "p1", "-o", tmp_ / "file.tgz"}).exit_code, 0);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(tmp_.path().c_str()), 0);
  RawRun piped = run_on_pipe_stdout({"pack", "src", "-r", "p1", "-o", "-"});
  bool dash_file = lpicing_test::exists(tmp_ / "-") || lpicing_test::exists(tmp_ / "-.part");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_EQ(piped.exit_code, 0);
  EXPECT_FALSE(dash_file);
  EXPECT_EQ(piped.bytes, lpicing_test::slurp(tmp_ / "file.tgz"));
  lpicing_test::write_file(tmp_ / "piped.tgz", piped.bytes);
  ToolRun verified = run_tool({"verify", tmp_ / "piped.tgz"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_TRUE(contains(verified.out, "revision p1")) << verified.out;
}

TEST_F(CliVerbsTest, PackRefusesToWriteABundleToATerminal) {
  mkdir((tmp_ / "src").c_str(), 0755);
  lpicing_test::write_file(tmp_ / "src/app.css", "a {}\n");
  RawRun r = run_on_terminal({"pack", tmp_ / "src", "-r", "p1", "-o", "-"}, true, true);
  EXPECT_EQ(r.exit_code, 64) << r.bytes;
  EXPECT_TRUE(contains(r.bytes, "refusing to write a bundle to a terminal")) << r.bytes;
}

TEST_F(CliVerbsTest, QuietPrintsNothingOnSuccess) {
  mkdir((tmp_ / "src").c_str(), 0755);
  lpicing_test::write_file(tmp_ / "src/app.css", "a {}\n");
  four_old_revisions();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"pack", tmp_ / "src", "-r", "p1", "-o", tmp_ / "p1.tgz"},
           {"verify", tmp_ / "r1.tar.gz"},
           {"deploy", tmp_ / "r1.tar.gz", "--store", store_, "--no-activate"},
           {"list", "--store", store_},
           {"activate", "r3", "--store", store_},
           {"prune", "--store", store_, "--keep", "1", "--dry-run"},
           {"prune", "--store", store_, "--keep", "1"}}) {
    args.push_back("--quiet");
    ToolRun r = run_tool(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.out + r.err, "") << args[0];
  }
}

TEST_F(CliVerbsTest, QuietStillSaysWhyItFailed) {
  ToolRun r = run_tool({"verify", "-q", tmp_ / "bad.tar.gz"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "name has a '..' component")) << r.err;
}

TEST_F(CliVerbsTest, VerbosePrintsMoreDetail) {
  ToolRun plain = run_tool({"deploy", tmp_ / "r1.tar.gz", "--store", store_});
  ToolRun verbose = run_tool({"deploy", tmp_ / "r2.tar.gz", "--store", store_, "-v"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_EQ(plain.err, "");
  EXPECT_TRUE(std::regex_search(verbose.err, std::regex(R"(lpicing: deployed in [0-9.]+ s\n)"))) << verbose.err;
  ToolRun verify = run_tool({"verify", "--verbose", tmp_ / "r1.tar.gz"});
  EXPECT_TRUE(contains(verify.err, "checked in")) << verify.err;
  ToolRun prune = run_tool({"prune", "--store", store_, "--keep", "1", "-v"});
  EXPECT_TRUE(contains(prune.err, "keeping r1, r2") || contains(prune.err, "keeping r2, r1")) << prune.err;
}

TEST_F(CliVerbsTest, PruneDryRunChangesNothingAndNamesWhatPruneThenRemoves) {
  four_old_revisions();
  auto before = lpicing_test::snapshot(store_);
  ToolRun dry = run_tool({"prune", "--store", store_, "--keep", "1", "-n"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(lpicing_test::snapshot(store_), before);
  EXPECT_EQ(dry.out, "would prune revision r1\nwould prune revision r2\n");
  ToolRun real = run_tool({"prune", "--store", store_, "--keep", "1"});
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_EQ(real.out, "pruned revision r1\npruned revision r2\n");
  EXPECT_FALSE(lpicing_test::exists(store_ + "/revisions/r1"));
  EXPECT_TRUE(lpicing_test::exists(store_ + "/revisions/r3"));
}

TEST_F(CliVerbsTest, JsonOfEachVerbParsesAndItsStoreIsListJson) {
  ToolRun verify = run_tool({"verify", tmp_ / "r1.tar.gz", "--json"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  json v = json::parse(verify.out);
  EXPECT_EQ(v["verb"], "verify");
  EXPECT_EQ(v["revision"], "r1");
  EXPECT_EQ(v["files"], 2);
  EXPECT_EQ(v["bytes"], lpicing_test::css_text(30).size() + 11);
  EXPECT_EQ(v["signature"], "unsigned");

  four_old_revisions();
  ToolRun deploy = run_tool({"deploy", tmp_ / "r1.tar.gz", "--store", store_, "--json"});
  ASSERT_EQ(deploy.exit_code, 0) << deploy.err;
  json d = json::parse(deploy.out);
  EXPECT_EQ(d["verb"], "deploy");
  EXPECT_EQ(d["revision"], "r1");
  EXPECT_EQ(d["unchanged"], true);
  EXPECT_EQ(d["activated"], true);
  EXPECT_EQ(d["pruned"], json::array());
  EXPECT_EQ(d["store"], list_json());
  EXPECT_EQ(d["store"]["current"], "r1");

  ToolRun activate = run_tool({"activate", "r4", "--store", store_, "--json"});
  ASSERT_EQ(activate.exit_code, 0) << activate.err;
  json a = json::parse(activate.out);
  EXPECT_EQ(a["verb"], "activate");
  EXPECT_EQ(a["revision"], "r4");
  EXPECT_EQ(a["unchanged"], false);
  EXPECT_EQ(a["store"], list_json());

  ToolRun dry = run_tool({"prune", "--store", store_, "--keep", "1", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  json pd = json::parse(dry.out);
  EXPECT_EQ(pd["dry_run"], true);
  EXPECT_EQ(pd["would_prune"], json::array({"r2", "r3"}));
  EXPECT_FALSE(pd.contains("pruned"));
  EXPECT_EQ(pd["store"], list_json());

  ToolRun prune = run_tool({"prune", "--store", store_, "--keep", "1", "--json"});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  json p = json::parse(prune.out);
  EXPECT_EQ(p["verb"], "prune");
  EXPECT_EQ(p["pruned"], json::array({"r2", "r3"}));
  EXPECT_EQ(p["store"], list_json());
  EXPECT_EQ(p["store"]["revisions"].size(), 2u);
}

TEST_F(CliVerbsTest, JsonFailureIsAnErrorObjectBesidesTheLineOnStderr) {
  ToolRun rejected = run_tool({"deploy", tmp_ / "bad.tar.gz", "--store", store_, "--json"});
  EXPECT_EQ(rejected.exit_code, 2);
  EXPECT_EQ(std::count(rejected.err.begin(), rejected.err.end(), '\n'), 1) << rejected.err;
  json e = json::parse(rejected.out);
  EXPECT_EQ(e["exit"], 2);
  EXPECT_EQ(e["error"]["kind"], "rejected");
  EXPECT_EQ(e["error"]["entry"], "a/../b");
  EXPECT_EQ("lpicing: " + e["error"]["message"].get<std::string>() + "\n", rejected.err);

  json missing = json::parse(run_tool({"verify", tmp_ / "nope.tar", "--json"}).out);
  EXPECT_EQ(missing["exit"], 66);
  EXPECT_EQ(missing["error"]["kind"], "io");
  EXPECT_TRUE(missing["error"]["entry"].is_null());

  json store = json::parse(run_tool({"list", "--store", tmp_ / "no-store", "--json"}).out);
  EXPECT_EQ(store["exit"], 3);
  EXPECT_EQ(store["error"]["kind"], "system");
}

TEST_F(CliVerbsTest, AnInputThatCannotBeReadExits66AndABadBundleStill2) {
  EXPECT_EQ(run_tool({"verify", tmp_ / "nope.tar"}).exit_code, 66);
  EXPECT_EQ(run_tool({"deploy", tmp_ / "nope.tar", "--store", store_}).exit_code, 66);
  EXPECT_FALSE(lpicing_test::exists(store_));
  EXPECT_EQ(run_tool({"verify", tmp_.path()}).exit_code, 66);  // a directory
  EXPECT_EQ(run_tool({"verify", tmp_ / "r1.tar.gz", "--trusted-key", tmp_ / "nope.pem"}).exit_code, 66);
  EXPECT_EQ(run_tool({"pack", tmp_ / "no-src", "-r", "p1", "-o", tmp_ / "p.tgz"}).exit_code, 66);
  EXPECT_EQ(run_tool({"pack", tmp_.path(), "-r", "p1", "-k", tmp_ / "nope.pem", "-o", tmp_ / "p.tgz"}).exit_code, 66);
  if (geteuid() != 0) {  // root reads it anyway
    ASSERT_EQ(chmod((tmp_ / "r2.tar.gz").c_str(), 0), 0);
    ToolRun r = run_tool({"verify", tmp_ / "r2.tar.gz"});
    EXPECT_EQ(r.exit_code, 66) << r.err;
    EXPECT_TRUE(contains(r.err, "Permission denied")) << r.err;
  }
  EXPECT_EQ(run_tool({"verify", tmp_ / "bad.tar.gz"}).exit_code, 2);
}

TEST(CliProgress, RateLimitAllowsOneEventPerIntervalTheFirstAtOnce) {
  lpicing_tool::RateLimit limit(100);
  EXPECT_TRUE(limit.allow(1000));
  EXPECT_FALSE(limit.allow(1001));
  EXPECT_FALSE(limit.allow(1099));
  EXPECT_TRUE(limit.allow(1100));
  EXPECT_FALSE(limit.allow(1150));
  EXPECT_TRUE(limit.allow(5000));
}

TEST(CliProgress, ProgressLineRedrawsAtMostTenTimesASecondThenClears) {
  char* buf = nullptr;
  std::size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  std::int64_t now = 0;
  {
    lpicing_tool::ProgressLine line(out, [&] { return now; });
    for (int ms = 0; ms < 2000; ++ms, now += 1'000'000) line.update("step " + std::to_string(ms));
  }
  fclose(out);
  std::string text(buf, size);
  free(buf);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 20 + 1);  // every 100 ms of 2 s, then the clearing
  EXPECT_EQ(text.rfind("\r\033[K"), text.size() - 4);
}

// Enough files that a deploy redraws many times if nothing held it back.
class CliProgressRun : public ::testing::Test {
 protected:
  void SetUp() override {
    lpicing_test::BundleSpec s;
    for (int i = 0; i < 300; ++i)
      s.files.push_back({"css/f" + std::to_string(i) + ".css", lpicing_test::css_text(9 + i % 5)});
    lpicing_test::write_bundle(tmp_ / "many.tar.gz", s);
  }
  TempDir tmp_;
};

TEST_F(CliProgressRun, DeployOnATerminalRedrawsOneLineAtMostTenTimesASecond) {
  RawRun r = run_on_terminal({"deploy", tmp_ / "many.tar.gz", "--store", tmp_ / "store"}, false, true);
  ASSERT_EQ(r.exit_code, 0) << r.bytes;
  std::size_t redraws = 0;
  for (std::size_t at = 0; (at = r.bytes.find("\rlpicing: ", at)) != std::string::npos; ++at) ++redraws;
  EXPECT_GE(redraws, 1u) << r.bytes;
  EXPECT_LE(static_cast<double>(redraws), 10 * r.seconds + 2) << redraws << " redraws in " << r.seconds << " s";
  EXPECT_TRUE(contains(r.bytes, "\rlpicing: reading bundle: ")) << r.bytes;
  EXPECT_EQ(r.bytes.rfind("\r\033[K"), r.bytes.size() - 4) << "the line is cleared at the end";
  EXPECT_EQ(r.bytes.find('\n'), std::string::npos) << r.bytes;
}

TEST_F(CliProgressRun, NoProgressWithQuietOrOffATerminal) {
  RawRun quiet = run_on_terminal({"deploy", tmp_ / "many.tar.gz", "--store", tmp_ / "s1", "-q"}, false, true);
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.bytes, "");
  ToolRun piped = run_tool({"deploy", tmp_ / "many.tar.gz", "--store", tmp_ / "s2"});
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err, "");
}

}  // namespace
