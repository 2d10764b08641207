// Tests of the lpicing command line: exit codes (0, 2, 3, 64), one-line messages on
// stderr, and the verbs working end to end on a temporary store.
#include <gtest/gtest.h>

#include <algorithm>

#include "lpicing_test_util.h"

namespace {

using lpicing_test::TempDir;

using lpicing_test::ToolRun;
using lpicing_test::run_tool;

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

class ToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lpicing_test::BundleSpec s;
    s.files = {{"css/app.css", lpicing_test::css_text(30)}};
    lpicing_test::write_bundle(tmp_ / "good.tar.gz", s);
    s.files.push_back({"a/../b", "x"});
    lpicing_test::write_bundle(tmp_ / "bad.tar.gz", s);
  }
  TempDir tmp_;
};

TEST_F(ToolTest, UsageErrorsExit64WithAUsageLine) {
  ToolRun r = run_tool({"deploy", tmp_ / "good.tar.gz"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("deploy needs --store"), std::string::npos);
  EXPECT_NE(r.err.find("Try 'lpicing deploy --help' for more information."), std::string::npos) << r.err;
  EXPECT_EQ(run_tool({"frobnicate"}).exit_code, 64);
  EXPECT_EQ(run_tool({"prune", "--store", "x", "--keep", "zero"}).exit_code, 64);
  EXPECT_EQ(run_tool({}).exit_code, 64);
}

TEST_F(ToolTest, HelpExitsZero) {
  ToolRun r = run_tool({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: lpicing pack "), std::string::npos) << r.out;
}

TEST_F(ToolTest, VerifyRejectsWithOneLineNamingEntryAndReason) {
  EXPECT_EQ(run_tool({"verify", tmp_ / "good.tar.gz"}).exit_code, 0);
  ToolRun r = run_tool({"verify", tmp_ / "bad.tar.gz"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
  EXPECT_NE(r.err.find("entry \"a/../b\": name has a '..' component"), std::string::npos) << r.err;
}

TEST_F(ToolTest, DeployListActivateAndExitCodes) {
  std::string store = tmp_ / "store";
  EXPECT_EQ(run_tool({"deploy", tmp_ / "good.tar.gz", "--store", store}).exit_code, 0);
  ToolRun r = run_tool({"deploy", tmp_ / "bad.tar.gz", "--store", store});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
  r = run_tool({"list", "--store", store, "--json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"current\": \"r1\""), std::string::npos) << r.out;
  EXPECT_EQ(run_tool({"activate", "r9", "--store", store}).exit_code, 2);
  EXPECT_EQ(run_tool({"activate", "r1", "--store", store}).exit_code, 0);
  r = run_tool({"list", "--store", tmp_ / "no-such-store"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(lines(r.err), 1);
}

TEST_F(ToolTest, FaultInjectionKillsMidDeployAndNextWriterRecovers) {
  std::string store = tmp_ / "store";
  ToolRun killed = run_tool({"deploy", tmp_ / "good.tar.gz", "--store", store}, {"LPICING_FAULT=before-rename"});
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_FALSE(lpicing_test::exists(store + "/revisions/r1"));
  EXPECT_FALSE(lpicing_test::exists(store + "/current"));
  EXPECT_FALSE(lpicing_test::snapshot(store + "/staging").empty());
  EXPECT_EQ(run_tool({"deploy", tmp_ / "good.tar.gz", "--store", store}).exit_code, 0);
  EXPECT_TRUE(lpicing_test::snapshot(store + "/staging").empty());
  EXPECT_TRUE(lpicing_test::exists(store + "/revisions/r1/INDEX"));
}

}  // namespace
