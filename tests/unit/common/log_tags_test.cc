// The log tags of the product sources against their registry,
// docs/log-tags.md (the rules are stated there), and the checker itself over
// small snippets.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "log_tags.h"
#include "source_tree.h"

namespace {

using lpweb_test::check_log_tags;
using lpweb_test::find_tag_uses;
using lpweb_test::parse_tag_registry;
using lpweb_test::TagRegistry;
using lpweb_test::TagUse;

std::string lines(const std::vector<std::string>& problems) {
  std::string s;
  for (const std::string& p : problems) s += "\n" + p;
  return s;
}

TagRegistry project_registry() {
  return parse_tag_registry(lpweb_test::slurp(std::filesystem::path(LPWEB_SOURCE_DIR) / "docs" / "log-tags.md"));
}

TEST(LogTags, ProductSourcesMatchTheRegistry) {
  TagRegistry reg = project_registry();
  ASSERT_GT(reg.tags.size(), 40u) << "docs/log-tags.md lists almost no tags: is the parser blind?";
  std::vector<TagUse> uses;
  for (const auto& f : lpweb_test::product_sources())
    for (TagUse& u : find_tag_uses(lpweb_test::slurp(f), lpweb_test::relative_name(f))) uses.push_back(u);
  ASSERT_GT(uses.size(), 40u) << "almost no tags found in the sources: is the scanner blind?";
  std::vector<std::string> problems = check_log_tags(reg, uses);
  EXPECT_TRUE(problems.empty()) << lines(problems);
  RecordProperty("tags_registered", static_cast<int>(reg.tags.size()));
  RecordProperty("tag_uses", static_cast<int>(uses.size()));
}

// An operator greps for what the README names; a test asserts a line by its tag.
TEST(LogTags, DocsConfAndTestsNameOnlyRegisteredTags) {
  TagRegistry reg = project_registry();
  std::set<std::string> registered;
  for (const auto& t : reg.tags) registered.insert(t.tag);
  std::string report;
  int files = 0;
  for (const auto& f : lpweb_test::files_under({"README.md", "docs", "conf", "docker", "tests"},
                                               {".md", ".conf", ".cc", ".h", ".c", ".sh", ".py", ".yaml", "Dockerfile"})) {
    std::string name = lpweb_test::relative_name(f);
    if (name.rfind("tests/unit/common/log_tags", 0) == 0) continue;  // this test's own made-up tags
    ++files;
    std::string text = lpweb_test::slurp(f);
    int line = 1;
    std::size_t from = 0;
    for (std::size_t at : lpweb_test::log_tags_detail::tag_offsets(text)) {
      for (; from < at; ++from) line += text[from] == '\n';
      std::string tag = text.substr(at, 7);
      if (!registered.count(tag)) report += "\n" + name + ":" + std::to_string(line) + ": " + tag + " is not registered";
    }
  }
  EXPECT_TRUE(report.empty()) << report;
  EXPECT_GT(files, 10);
}

// A registry of two ranges for the snippets below.
const char* kRegistry =
    "# Log tags\n"
    "## LPE00xx: start-up\n"
    "| tag | level | meaning |\n"
    "| --- | --- | --- |\n"
    "| `LPE0001` | crit | no shared memory |\n"
    "## LPE01xx: requests\n"
    "| tag | level | meaning |\n"
    "| `LPE0100` | error | internal error |\n"
    "| `LPE0110` | debug | redirected |\n"
    "| `LPE0111` | debug, error | gone or broken |\n"
    "## Tags written at more than one place\n"
    "| tag | places | file | why |\n"
    "| `LPE0100` | 2 | `a.cc` | the guard |\n";

std::vector<TagUse> uses_of(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<TagUse> uses;
  for (const auto& [name, text] : files)
    for (TagUse& u : find_tag_uses(text, name)) uses.push_back(u);
  return uses;
}

const char* kGoodSource =
    "ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, \"LPE0001: cannot create shared memory\");\n"
    "try { f(); } catch (const std::exception& e) {\n"
    "  ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, \"LPE0100: internal error: %s\", e.what());\n"
    "} catch (...) {\n"
    "  ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, \"LPE0100: internal error\");\n"
    "}\n"
    "ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,\n"
    "              \"LPE0110: %s redirected\", r->uri);  // was LPE0010\n"
    "ap_log_rerror(APLOG_MARK, gone ? APLOG_DEBUG : APLOG_ERR, 0, r, \"LPE0111: %s\", why);\n";

TEST(LogTags, AConsistentSourceAndRegistryPass) {
  std::vector<TagUse> uses = uses_of({{"a.cc", kGoodSource}});
  ASSERT_EQ(uses.size(), 5u);
  EXPECT_EQ(uses[3].tag, "LPE0110");
  EXPECT_EQ(uses[3].line, 8);
  EXPECT_EQ(uses[4].levels, (std::set<std::string>{"debug", "error"}));
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(kRegistry), uses);
  EXPECT_TRUE(problems.empty()) << lines(problems);
}

TEST(LogTags, FailsOnATagWrittenAtTwoPlaces) {
  std::vector<TagUse> uses =
      uses_of({{"a.cc", kGoodSource}, {"b.cc", "ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, \"LPE0001: other\");\n"}});
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(kRegistry), uses);
  ASSERT_EQ(problems.size(), 1u) << lines(problems);
  EXPECT_NE(problems[0].find("LPE0001 is written at 2 places"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("b.cc:1"), std::string::npos) << problems[0];
}

TEST(LogTags, FailsOnAMultiPlaceTagOutsideItsFileOrCount) {
  std::vector<TagUse> uses = uses_of(
      {{"a.cc", kGoodSource}, {"b.cc", "ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, \"LPE0100: elsewhere\");\n"}});
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(kRegistry), uses);
  ASSERT_EQ(problems.size(), 1u) << lines(problems);
  EXPECT_NE(problems[0].find("LPE0100 is registered at 2 places in a.cc"), std::string::npos) << problems[0];
}

TEST(LogTags, FailsOnAnUnregisteredTag) {
  std::vector<TagUse> uses = uses_of(
      {{"a.cc", kGoodSource}, {"c.cc", "return apr_psprintf(p, \"LPE0002: LPEdgeStatus %s is not a status\", a);\n"}});
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(kRegistry), uses);
  ASSERT_EQ(problems.size(), 1u) << lines(problems);
  EXPECT_NE(problems[0].find("LPE0002 is not registered"), std::string::npos) << problems[0];
}

TEST(LogTags, FailsOnARegisteredTagNoLongerUsed) {
  std::string source = kGoodSource;
  source.replace(source.find("LPE0001"), 7, "LPE0100");  // now 3 places of LPE0100, none of LPE0001
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(kRegistry), uses_of({{"a.cc", source}}));
  ASSERT_EQ(problems.size(), 3u) << lines(problems);  // LPE0100's count, its level (crit), and LPE0001
  EXPECT_NE(lines(problems).find("LPE0001 is registered but no longer used"), std::string::npos) << lines(problems);
}

TEST(LogTags, FailsOnALevelOtherThanRegistered) {
  std::string source = kGoodSource;
  source.replace(source.find("APLOG_DEBUG, 0, r,\n"), 11, "APLOG_INFO");
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(kRegistry), uses_of({{"a.cc", source}}));
  ASSERT_EQ(problems.size(), 1u) << lines(problems);
  EXPECT_NE(problems[0].find("LPE0110 at a.cc:8 logs at info, registered as debug"), std::string::npos)
      << problems[0];
}

TEST(LogTags, FailsOnATagListedOutsideItsRangeOrTwice) {
  std::string registry = kRegistry;
  registry.insert(registry.find("## LPE01xx"), "| `LPE0112` | debug | a request decision among start-up |\n");
  registry.insert(registry.find("## Tags written"), "| `LPE0110` | debug | redirected, again |\n");
  std::string source = std::string(kGoodSource) + "ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, \"LPE0112: x\");\n";
  std::vector<std::string> problems = check_log_tags(parse_tag_registry(registry), uses_of({{"a.cc", source}}));
  ASSERT_EQ(problems.size(), 2u) << lines(problems);
  EXPECT_NE(problems[0].find("LPE0112 is listed under range LPE00xx"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("LPE0110 is registered twice"), std::string::npos) << problems[1];
}

TEST(LogTags, CommentsIdentifiersAndLongerNumbersAreNotTags) {
  const char* snippet =
      "// LPE0001 was once here\n"
      "/* and LPE0002 */\n"
      "int LPE0003x = 0; const char* s = \"LPE00045 XLPE0005\";\n"
      "case deployed: level = APLOG_NOTICE, tag = \"LPE0006\"; break;\n"
      "case rejected: tag = \"LPE0007\"; break;\n";
  std::vector<TagUse> uses = find_tag_uses(snippet, "d.cc");
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].tag, "LPE0006");
  EXPECT_EQ(uses[0].levels, std::set<std::string>{"notice"});
  EXPECT_EQ(uses[1].tag, "LPE0007");
  EXPECT_TRUE(uses[1].levels.empty());  // set before the switch: not checked
}

}  // namespace
