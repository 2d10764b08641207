// The lpicing command line's GNU conventions, through the real binary:
// --version, every help text (checked against the option tables the parser
// uses, and in the layout help2man and _parse_help read), one-line usage
// errors with exit 64, "--", the forms of an option's value.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "cli.h"
#include "lpicing_test_util.h"

namespace {

using lpicing_test::run_tool;
using lpicing_test::TempDir;
using lpicing_test::ToolRun;
using lpicing_tool::OptionSpec;
using lpicing_tool::VerbSpec;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The options a help text lists, read as bash-completion's _parse_help reads
// them: lines starting (after blanks) with '-', "-x, --long=VALUE" or "--long".
std::vector<std::string> listed_options(const std::string& help) {
  static const std::regex option_line(R"(^\s+(?:-[A-Za-z], )?(--[a-z][a-z-]*)(=[A-Z]+)?\s)");
  std::vector<std::string> out;
  for (const std::string& line : lines_of(help)) {
    std::smatch m;
    if (std::regex_search(line, m, option_line)) out.push_back(m[1].str() + (m[2].matched ? "=1" : ""));
  }
  return out;
}

TEST(CliVersion, VersionAndDashCapitalVPrintTheProjectVersionAndLicence) {
  for (const char* flag : {"--version", "-V"}) {
    ToolRun r = run_tool({flag});
    EXPECT_EQ(r.exit_code, 0) << flag;
    EXPECT_EQ(r.out.rfind("lpicing " LPWEB_VERSION "\n", 0), 0u) << r.out;
    EXPECT_TRUE(contains(r.out, "Apache-2.0")) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
  }
}

TEST(CliHelp, GlobalHelpIsTheSameThreeWaysAndHasUsageCommandsAndExitTable) {
  ToolRun r = run_tool({"--help"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(run_tool({"-h"}).out, r.out);
  EXPECT_EQ(run_tool({"help"}).out, r.out);
  EXPECT_EQ(r.out.rfind("Usage: lpicing ", 0), 0u) << r.out;
  std::string commands = r.out.substr(r.out.find("\nCommands:\n"));
  for (const VerbSpec& v : lpicing_tool::verbs()) {
    EXPECT_TRUE(contains(r.out, std::string("lpicing ") + v.name + " " + v.synopsis + "\n")) << v.name;
    EXPECT_TRUE(contains(commands, std::string("\n  ") + v.name + " ")) << v.name;
  }
  std::string exits = r.out.substr(r.out.find("\nExit status:\n"));
  for (const lpicing_tool::ExitStatus& e : lpicing_tool::exit_statuses())
    EXPECT_TRUE(contains(exits, "\n  " + std::to_string(e.code) + " ")) << e.code;
  for (int code : {0, 2, 3, 4, 64, 66}) EXPECT_TRUE(contains(exits, "\n  " + std::to_string(code) + " ")) << code;
  EXPECT_TRUE(contains(r.out, "\nRun 'lpicing help VERB' for a verb's options.\n"));
}

TEST(CliHelp, EachVerbsHelpIsTheSameThreeWaysAndListsItsOptionsAndExits) {
  for (const VerbSpec& v : lpicing_tool::verbs()) {
    SCOPED_TRACE(v.name);
    ToolRun r = run_tool({"help", v.name});
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_EQ(run_tool({v.name, "--help"}).out, r.out);
    EXPECT_EQ(run_tool({v.name, "-h"}).out, r.out);
    EXPECT_EQ(r.out.rfind(std::string("Usage: lpicing ") + v.name + " ", 0), 0u) << r.out;
    std::vector<OptionSpec> all = v.options;
    all.insert(all.end(), lpicing_tool::common_options().begin(), lpicing_tool::common_options().end());
    for (const OptionSpec& o : all) {
      std::string left = std::string("--") + o.long_name + (o.value_name ? std::string("=") + o.value_name : "");
      if (o.short_name) left = std::string("-") + o.short_name + ", " + left;
      EXPECT_TRUE(contains(r.out, "\n  " + std::string(o.short_name ? "" : "    ") + left + " ")) << left;
    }
    EXPECT_EQ(listed_options(r.out).size(), all.size()) << r.out;
    for (const lpicing_tool::ExitStatus& e : v.exits)
      EXPECT_TRUE(contains(r.out, "\n  " + std::to_string(e.code) + " ")) << e.code;
  }
}

// Every option a verb's help lists is one its parser accepts: the option,
// then --help, prints the help instead of a usage error.
TEST(CliHelp, EveryOptionAVerbsHelpListsIsAccepted) {
  for (const VerbSpec& v : lpicing_tool::verbs()) {
    std::string help = run_tool({"help", v.name}).out;
    for (const std::string& option : listed_options(help)) {
      ToolRun r = run_tool({v.name, option, "--help"});
      EXPECT_EQ(r.exit_code, 0) << v.name << " " << option << ": " << r.err;
    }
  }
}

TEST(CliHelp, HelpLinesFitEightyColumnsAndNoContinuationStartsWithADash) {
  std::vector<std::string> texts = {run_tool({"--help"}).out};
  for (const VerbSpec& v : lpicing_tool::verbs()) texts.push_back(run_tool({"help", v.name}).out);
  for (const std::string& text : texts) {
    for (const std::string& line : lines_of(text)) {
      EXPECT_LE(line.size(), 80u) << line;
      std::size_t first = line.find_first_not_of(' ');
      // A line _parse_help would take for an option must be one.
      if (first != std::string::npos && line[first] == '-') {
        EXPECT_TRUE(std::regex_search(line, std::regex(R"(^  (-[A-Za-z], |    )--[a-z])"))) << line;
      }
    }
  }
}

// What the man page is made from: the global help, then each verb's whole
// help under its own heading, so the page cannot miss an option.
TEST(CliHelp, HelpAllIsTheGlobalHelpThenEveryVerbsHelp) {
  ToolRun all = run_tool({"help", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::string global = run_tool({"--help"}).out;
  EXPECT_EQ(all.out.rfind(global, 0), 0u);
  EXPECT_TRUE(contains(global, "lpicing help [VERB|--all]\n")) << global;
  for (const VerbSpec& v : lpicing_tool::verbs()) {
    std::string verb = run_tool({"help", v.name}).out;
    std::string section = "\nCommand " + std::string(v.name) + ":\n  lpicing " + v.name + " " + v.synopsis + "\n" +
                          verb.substr(verb.find('\n') + 1);
    EXPECT_TRUE(contains(all.out, section)) << v.name;
  }
  EXPECT_EQ(run_tool({"help", "--help"}).out, global);
}

TEST(CliHelp, HelpOfAnUnknownVerbIsAUsageError) {
  ToolRun r = run_tool({"help", "nosuch"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.err, "lpicing: unknown command \"nosuch\"\nTry 'lpicing --help' for more information.\n");
  EXPECT_TRUE(r.out.empty());
}

struct UsageCase {
  std::string name;
  std::vector<std::string> args;
  std::string problem;  // the first line, after "lpicing: "
  std::string verb;     // in the Try line; "" for the global help
};

void PrintTo(const UsageCase& c, std::ostream* os) { *os << c.name; }

class CliUsageTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CliUsageTest, OneLineThenTheTryLineAndExit64) {
  const UsageCase& c = GetParam();
  ToolRun r = run_tool(c.args);
  EXPECT_EQ(r.exit_code, 64);
  std::string try_line = "Try 'lpicing " + (c.verb.empty() ? "" : c.verb + " ") + "--help' for more information.\n";
  EXPECT_EQ(r.err, "lpicing: " + c.problem + "\n" + try_line);
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, CliUsageTest,
    ::testing::Values(
        UsageCase{"UnknownLongOption", {"deploy", "b.tar", "--store=s", "--frobnicate"},
                  "unrecognized option '--frobnicate'", "deploy"},
        UsageCase{"UnknownShortOption", {"list", "--store=s", "-x"}, "invalid option -- 'x'", "list"},
        UsageCase{"OptionOfAnotherVerb", {"list", "--store=s", "--keep=3"}, "unrecognized option '--keep'", "list"},
        UsageCase{"MissingLongValue", {"list", "--store"}, "option '--store' requires an argument", "list"},
        UsageCase{"MissingShortValue", {"pack", "src", "-o", "x", "-r"}, "option requires an argument -- 'r'",
                  "pack"},
        UsageCase{"FlagGivenAValue", {"list", "--store=s", "--json=yes"}, "option '--json' doesn't allow an argument",
                  "list"},
        UsageCase{"MissingRequiredOption", {"prune", "--store=s"}, "prune needs --keep=N", "prune"},
        UsageCase{"TooManyArguments", {"verify", "a.tar", "b.tar"}, "verify takes one BUNDLE, but was given 2 arguments",
                  "verify"},
        UsageCase{"MissingArgument", {"activate", "--store=s"}, "activate needs a REV", "activate"},
        UsageCase{"BadNumber", {"prune", "--store=s", "--keep=many"}, "--keep needs a number of revisions, at least 1",
                  "prune"},
        UsageCase{"BadLimit", {"verify", "a.tar", "--max-ratio=-1"}, "--max-ratio needs a positive number", "verify"},
        UsageCase{"ValueGivenTwice", {"list", "--store=a", "--store=b"}, "option '--store' given twice", "list"},
        UsageCase{"NoVerb", {}, "no command given", ""},
        UsageCase{"UnknownVerb", {"frobnicate"}, "unknown command \"frobnicate\"", ""},
        UsageCase{"OptionBeforeTheVerb", {"--store=s", "list"},
                  "unrecognized option '--store=s' (a verb's options follow the verb)", ""}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

class CliParseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lpicing_test::write_file(tmp_ / "a.css", lpicing_test::css_text(20));
    std::string bundle = tmp_ / "-weird-name.tar";
    lpicing_test::BundleSpec spec;
    spec.files = {{"a.css", lpicing_test::css_text(20)}};
    lpicing_test::write_bundle(bundle, spec);
    ASSERT_NE(getcwd(cwd_, sizeof cwd_), nullptr);
    ASSERT_EQ(chdir(tmp_.path().c_str()), 0);
  }
  void TearDown() override { ASSERT_EQ(chdir(cwd_), 0); }
  std::string revision_of(const std::string& bundle) {
    ToolRun r = run_tool({"verify", "--json", bundle});
    std::size_t at = r.out.find("\"revision\": \"");
    if (r.exit_code != 0 || at == std::string::npos) return "(" + r.err + ")";
    at += 13;
    return r.out.substr(at, r.out.find('"', at) - at);
  }
  TempDir tmp_;
  char cwd_[4096];
};

TEST_F(CliParseTest, DoubleDashEndsOptions) {
  EXPECT_EQ(run_tool({"verify", "-weird-name.tar"}).exit_code, 64);
  ToolRun r = run_tool({"verify", "--", "-weird-name.tar"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliParseTest, AValueMayBeAttachedSeparateOrAfterEqualsAndLongNamesAbbreviated) {
  mkdir((tmp_ / "src").c_str(), 0755);
  lpicing_test::write_file(tmp_ / "src/a.css", "a { color: red }\n");
  const std::vector<std::vector<std::string>> forms = {
      {"pack", "src", "-rv1", "-o", "v1.tgz"},
      {"pack", "src", "-r", "v2", "-o", "v2.tgz"},
      {"pack", "src", "--revision=v3", "-o", "v3.tgz"},
      {"pack", "src", "--revision", "v4", "--output=v4.tgz"},
      {"pack", "--rev=v5", "-ov5.tgz", "src"},  // an abbreviation; options after the argument too
  };
  for (std::size_t i = 0; i < forms.size(); ++i) {
    ToolRun r = run_tool(forms[i]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string rev = "v" + std::to_string(i + 1);
    EXPECT_EQ(revision_of(rev + ".tgz"), rev);
  }
}

TEST_F(CliParseTest, WaitTakesRevAfterEquals) {
  // Nothing listens on port 1: the arguments parse, then the wait times out.
  ToolRun r = run_tool({"wait", "--rev=r1", "--timeout=0", "http://127.0.0.1:1/lpicing-status"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
}

}  // namespace
