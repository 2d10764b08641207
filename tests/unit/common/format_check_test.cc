// APR's formatter has no z, j or t length modifier: every format string of an
// ap_log_*error / apr_psprintf-style call in the product sources is checked,
// and so is the scanner that finds them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "format_check.h"
#include "source_tree.h"

namespace {

using lpweb_test::check_format_strings;
using lpweb_test::FormatFinding;
using lpweb_test::product_sources;
using lpweb_test::slurp;

TEST(FormatCheck, ProductSourcesUseNoZJOrTLengthModifierInAprFormats) {
  std::vector<std::filesystem::path> files = product_sources();
  int calls = 0;
  std::string report;
  bool saw_adapter = false;
  for (const auto& f : files) {
    saw_adapter = saw_adapter || f.filename() == "mod_lpicing.cc" || f.filename() == "mod_lpedge.cc";
    for (const FormatFinding& x : check_format_strings(slurp(f), &calls))
      report += "\n" + std::filesystem::relative(f, LPWEB_SOURCE_DIR).string() + ":" + std::to_string(x.line) +
                ": " + x.conversion + " in " + x.call + " (APR has no z, j or t: use APR_SIZE_T_FMT and kin)";
  }
  EXPECT_TRUE(report.empty()) << report;
  ASSERT_TRUE(saw_adapter) << "no module adapter under " << LPWEB_SOURCE_DIR;
  EXPECT_GT(calls, 0) << "no APR formatter call found: is the scanner blind?";
  RecordProperty("files_scanned", static_cast<int>(files.size()));
  RecordProperty("calls_checked", calls);
}

TEST(FormatCheck, FlagsZuInALogCallSpanningLines) {
  const char* snippet =
      "static int f(request_rec* r) {\n"
      "  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,\n"
      "                \"LPI0602: combo %s: %s revision %s, \"\n"
      "                \"%zu files, %\" APR_UINT64_T_FMT \" bytes, %s\", r->uri,\n"
      "                kind, rev, n, bytes, coding);\n"
      "}\n";
  std::vector<FormatFinding> found = check_format_strings(snippet);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].line, 4);
  EXPECT_EQ(found[0].conversion, "%zu");
  EXPECT_EQ(found[0].call, "ap_log_rerror");
}

TEST(FormatCheck, FlagsAConversionSplitAcrossAdjacentLiterals) {
  std::vector<FormatFinding> found = check_format_strings("x = apr_psprintf(p, \"n=%\"\n  \"zu\", n);\n");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].conversion, "%zu");
  EXPECT_EQ(found[0].line, 1);
}

TEST(FormatCheck, AprSizeTFmtAndOtherAprMacrosPass) {
  const char* snippet =
      "ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,\n"
      "             \"LPI0403: more than %\" APR_SIZE_T_FMT \" stores, over %\" APR_SIZE_T_FMT\n"
      "             \" bytes, pid %\" APR_PID_T_FMT, n, m, pid);\n"
      "apr_psprintf(p, \"%\" APR_UINT64_T_FMT, v);\n";
  int calls = 0;
  EXPECT_TRUE(check_format_strings(snippet, &calls).empty());
  EXPECT_EQ(calls, 2);
}

TEST(FormatCheck, JAndTModifiersAndEveryAprFormatterAreChecked) {
  std::vector<FormatFinding> found = check_format_strings(
      "apr_snprintf(buf, sizeof buf, \"%jd and %5td\", a, b);\n"
      "apr_brigade_printf(bb, NULL, NULL, \"%-8zx\", n);\n"
      "ap_rprintf(r, \"%lu %zd\", a, b);\n");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].conversion, "%jd");
  EXPECT_EQ(found[1].conversion, "%5td");
  EXPECT_EQ(found[2].conversion, "%-8zx");
  EXPECT_EQ(found[2].call, "apr_brigade_printf");
  EXPECT_EQ(found[3].conversion, "%zd");
  EXPECT_EQ(found[3].line, 3);
}

TEST(FormatCheck, LibcCallsCommentsArgumentsAndEscapedPercentsAreLeftAlone) {
  const char* snippet =
      "printf(\"%zu files\\n\", n);  // libc knows %zu\n"
      "// ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, \"%zu\", n);\n"
      "/* apr_psprintf(p, \"%zu\", n); */\n"
      "apr_psprintf(p, \"%s\", \"%zu is only an argument\");\n"
      "apr_psprintf(p, \"100%%zu is literal text, and %pT %pm are APR's\", t, &rv);\n"
      "char q = '\"'; apr_psprintf(p, \"%c\", q);\n";
  std::vector<FormatFinding> found = check_format_strings(snippet);
  EXPECT_TRUE(found.empty()) << found.front().line << ": " << found.front().conversion;
}

}  // namespace
