// Every bundle rejection class through the real lpicing binary: deploy and verify exit 2
// with one stderr line naming the entry and the reason, and a store holding a current
// revision is left byte-identical with no staging behind. Also the usage errors (exit 64;
// more of them in cli_test.cc).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <ostream>

#include "lpicing_test_util.h"

namespace {

using lpicing_test::BundleSpec;
using lpicing_test::Filter;
using lpicing_test::KeyPair;
using lpicing_test::TarEntry;
using lpicing_test::TempDir;

constexpr std::int64_t kT0 = 1700000000;

using lpicing_test::ToolRun;
using lpicing_test::run_tool;

// What a case may use to spoil its bundle.
struct Context {
  KeyPair trusted, other;
  std::string outside;  // a directory a symlink entry points at; must stay empty
};

struct RejectCase {
  std::string name;
  std::function<void(const Context&, BundleSpec*)> spoil;
  std::string names;   // how stderr names the offending entry, e.g. `entry "a/../b":`
  std::string reason;  // words specific to this class
  std::vector<std::string> options;  // extra arguments for deploy and verify
  bool trusted_key = false;   // pass --trusted-key with the trusted public key
  bool verify_rejects = true; // false when only the store makes the bundle wrong
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

RejectCase make_case(std::string name, std::string names, std::string reason,
                     std::function<void(const Context&, BundleSpec*)> spoil) {
  RejectCase c;
  c.name = std::move(name);
  c.names = std::move(names);
  c.reason = std::move(reason);
  c.spoil = std::move(spoil);
  return c;
}

TarEntry file_entry(const std::string& name, const std::string& content, unsigned mode = 0) {
  return {TarEntry::file, name, content, mode, kT0, ""};
}

std::vector<RejectCase> reject_cases() {
  std::vector<RejectCase> v;
  v.push_back(make_case("DotDotComponent", "entry \"a/../b\":", "name has a '..' component",
                        [](const Context&, BundleSpec* s) { s->after = {file_entry("a/../b", "x")}; }));
  v.push_back(make_case("AbsoluteName", "entry \"/etc/evil\":", "name is absolute",
                        [](const Context&, BundleSpec* s) { s->after = {file_entry("/etc/evil", "x")}; }));
  v.push_back(make_case("SymlinkAlone", "entry \"css/link.css\":", "symbolic links are not allowed",
                        [](const Context&, BundleSpec* s) {
                          s->after = {{TarEntry::symlink, "css/link.css", "", 0, kT0, "app.css"}};
                        }));
  v.push_back(make_case("SymlinkThenFileWrittenThroughIt", "entry \"escape\":",
                        "symbolic links are not allowed", [](const Context& c, BundleSpec* s) {
                          s->before = {{TarEntry::symlink, "escape", "", 0, kT0, c.outside},
                                       file_entry("escape/owned.txt", "pwned")};
                        }));
  v.push_back(make_case("Hardlink", "entry \"css/copy.css\":", "hard links are not allowed",
                        [](const Context&, BundleSpec* s) {
                          s->after = {{TarEntry::hardlink, "css/copy.css", "", 0, kT0, "css/app.css"}};
                        }));
  v.push_back(make_case("Fifo", "entry \"pipe\":", "FIFOs are not allowed", [](const Context&, BundleSpec* s) {
    s->after = {{TarEntry::fifo, "pipe", "", 0, kT0, ""}};
  }));
  v.push_back(make_case("CharacterDevice", "entry \"null\":", "device files are not allowed",
                        [](const Context&, BundleSpec* s) {
                          s->after = {{TarEntry::chardev, "null", "", 0, kT0, ""}};
                        }));
  v.push_back(make_case("SetuidMode", "entry \"bin/tool\":", "setuid, setgid and sticky modes are not allowed",
                        [](const Context&, BundleSpec* s) { s->after = {file_entry("bin/tool", "x", 04755)}; }));
  v.push_back(make_case("SetgidMode", "entry \"bin/group\":", "setuid, setgid and sticky modes are not allowed",
                        [](const Context&, BundleSpec* s) { s->after = {file_entry("bin/group", "x", 02755)}; }));
  v.push_back(make_case("DuplicateName", "entry \"js/app.js\":", "duplicate name",
                        [](const Context&, BundleSpec* s) {
                          s->after = {file_entry("js/app.js", "console.log('other');\n")};
                        }));
  v.push_back(make_case("FileMissingFromSums", "entry \"js/app.js\":", "not listed in SHA256SUMS",
                        [](const Context&, BundleSpec* s) { s->unlisted = {"js/app.js"}; }));
  v.push_back(make_case("ListedFileMissingFromArchive", "entry \"css/gone.css\":",
                        "listed in SHA256SUMS but missing from the archive", [](const Context&, BundleSpec* s) {
                          s->extra_sums = lpicing_test::sums_line("gone", "css/gone.css");
                        }));
  v.push_back(make_case("WrongChecksum", "entry \"js/app.js\":", "checksum mismatch",
                        [](const Context&, BundleSpec* s) {
                          s->unlisted = {"js/app.js"};
                          s->extra_sums = lpicing_test::sums_line("something else", "js/app.js");
                        }));
  {
    RejectCase c = make_case("MissingSignatureWithTrustedKey", "entry \"SHA256SUMS.sig\":", "must be signed",
                             [](const Context&, BundleSpec*) {});
    c.trusted_key = true;
    v.push_back(c);
  }
  {
    RejectCase c = make_case("SignatureFromAnotherKey", "entry \"SHA256SUMS.sig\":",
                             "does not match the trusted key", [](const Context& ctx, BundleSpec* s) {
                               s->private_key_pem = ctx.other.private_pem;
                             });
    c.trusted_key = true;
    v.push_back(c);
  }
  v.push_back(make_case("RevisionWithDotDot", "entry \"REVISION\":", "revision id \"../x\" does not match",
                        [](const Context&, BundleSpec* s) { s->revision_file = "../x\n"; }));
  v.push_back(make_case("RevisionWithSpace", "entry \"REVISION\":", "revision id \"a b\" does not match",
                        [](const Context&, BundleSpec* s) { s->revision_file = "a b\n"; }));
  {
    // verify has no store to compare with, so it accepts this bundle.
    RejectCase c = make_case("SameRevisionDifferentContent", "revision \"r0\"",
                             "is already in the store with different content",
                             [](const Context&, BundleSpec* s) { s->revision = "r0"; });
    c.verify_rejects = false;
    v.push_back(c);
  }
  v.push_back(make_case("GzipBombOverRatioLimit", "entry \"zeros.bin\":",
                        "exceeds 100 times the bundle size (limit --max-ratio)",
                        [](const Context&, BundleSpec* s) {
                          s->files.push_back({"zeros.bin", std::string(5 << 20, '\0')});
                          s->filter = Filter::gzip;
                        }));
  v.push_back(make_case("ControlCharacterInName", "entry \"css/bad\\x0aname.css\":",
                        "name contains a control character",
                        [](const Context&, BundleSpec* s) { s->after = {file_entry("css/bad\nname.css", "x")}; }));
  v.push_back(make_case("InvalidUtf8Name", "entry \"css/bad\xff.css\":", "name is not valid UTF-8",
                        [](const Context&, BundleSpec* s) { s->after = {file_entry("css/bad\xff.css", "x")}; }));
  {
    std::string long_component = "css/" + std::string(256, 'c') + ".css";
    v.push_back(make_case("ComponentOver255Bytes", "entry \"" + long_component + "\":",
                          "name has a component longer than 255 bytes",
                          [long_component](const Context&, BundleSpec* s) {
                            s->after = {file_entry(long_component, "x")};
                          }));
  }
  {
    std::string long_path;
    for (char c = 'a'; c < 'f'; ++c) long_path += std::string(250, c) + "/";
    long_path += "f.css";  // 1260 bytes, every component under 255
    v.push_back(make_case("PathOver1024Bytes", "entry \"" + long_path + "\":", "name is longer than 1024 bytes",
                          [long_path](const Context&, BundleSpec* s) { s->after = {file_entry(long_path, "x")}; }));
  }
  {
    // SHA256SUMS, the second entry, lists REVISION and 20 files: refused there, before any file.
    RejectCase c = make_case("OverMaxEntries", "entry \"SHA256SUMS\": lists 21 files:", "more than 10 entries (limit --max-entries)",
                             [](const Context&, BundleSpec* s) {
                               s->files.clear();
                               for (int i = 0; i < 20; ++i) {
                                 char name[16];
                                 snprintf(name, sizeof name, "f/%02d.txt", i);
                                 s->files.push_back({name, "file " + std::to_string(i) + "\n"});
                               }
                             });
    c.options = {"--max-entries", "10"};
    v.push_back(c);
  }
  return v;
}

class ToolRejectTest : public ::testing::TestWithParam<RejectCase> {
 protected:
  void SetUp() override {
    store_ = tmp_ / "store";
    ctx_.trusted = lpicing_test::make_ed25519_key();
    ctx_.other = lpicing_test::make_ed25519_key();
    ctx_.outside = tmp_ / "outside";
    ASSERT_EQ(mkdir(ctx_.outside.c_str(), 0755), 0);
    lpicing_test::write_file(tmp_ / "trusted.pem", ctx_.trusted.public_pem);

    // A store that already holds one good, current revision.
    BundleSpec base;
    base.revision = "r0";
    base.files = {{"css/app.css", lpicing_test::css_text(5)}};
    lpicing_test::write_bundle(tmp_ / "good.tar.gz", base);
    ToolRun r = run_tool({"deploy", tmp_ / "good.tar.gz", "--store", store_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    before_ = lpicing_test::snapshot(store_);
    ASSERT_EQ(before_["/current"].substr(before_["/current"].find("->")), "-> revisions/r0");

    BundleSpec bad;
    bad.revision = "r1";
    bad.files = {{"css/app.css", lpicing_test::css_text(50)},
                 {"js/app.js", "console.log('hello');\n"},
                 {"img/logo.png", std::string(300, '\x89')}};
    GetParam().spoil(ctx_, &bad);
    bundle_ = tmp_ / "bad.tar";
    lpicing_test::write_bundle(bundle_, bad);
    options_ = GetParam().options;
    if (GetParam().trusted_key) options_.insert(options_.end(), {"--trusted-key", tmp_ / "trusted.pem"});
  }

  ToolRun run_with_options(std::vector<std::string> args) {
    args.insert(args.end(), options_.begin(), options_.end());
    return run_tool(args);
  }

  // One line on stderr, naming the entry and giving this class's reason.
  void expect_rejection_message(const ToolRun& r) {
    const RejectCase& c = GetParam();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.back(), '\n') << r.err;
    EXPECT_EQ(r.err.rfind("lpicing: rejected bundle \"" + bundle_ + "\": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << "expected " << c.names << " in: " << r.err;
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << "expected " << c.reason << " in: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  TempDir tmp_;
  std::string store_, bundle_;
  std::vector<std::string> options_;
  Context ctx_;
  std::map<std::string, std::string> before_;
};

TEST_P(ToolRejectTest, DeployExits2NamingEntryAndReason) {
  ToolRun r = run_with_options({"deploy", bundle_, "--store", store_});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_rejection_message(r);
}

TEST_P(ToolRejectTest, DeployLeavesStoreByteIdenticalWithoutStaging) {
  run_with_options({"deploy", bundle_, "--store", store_});
  EXPECT_EQ(lpicing_test::snapshot(store_), before_);
  EXPECT_TRUE(lpicing_test::snapshot(store_ + "/staging").empty());
  EXPECT_TRUE(lpicing_test::snapshot(ctx_.outside).empty());
}

TEST_P(ToolRejectTest, VerifyExits2NamingEntryAndReason) {
  ToolRun r = run_with_options({"verify", bundle_});
  if (!GetParam().verify_rejects) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return;
  }
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_rejection_message(r);
  EXPECT_TRUE(lpicing_test::snapshot(ctx_.outside).empty());
}

INSTANTIATE_TEST_SUITE_P(Classes, ToolRejectTest, ::testing::ValuesIn(reject_cases()),
                         [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// A bundle file with a hole at its end: tiny on disk, huge by st_size. The
// ratio is measured against the bytes actually read, so the hole buys nothing.
TEST(ToolRatioLimit, SparseTailDoesNotDodgeTheRatioLimit) {
  TempDir tmp;
  BundleSpec spec;
  spec.files.push_back({"zeros.bin", std::string(5 << 20, '\0')});
  spec.filter = Filter::gzip;
  std::string bundle = tmp / "sparse.tar.gz";
  lpicing_test::write_bundle(bundle, spec);
  ASSERT_EQ(truncate(bundle.c_str(), off_t{1} << 40), 0);  // 1 TiB by st_size, a few KiB of blocks
  ToolRun r = run_tool({"verify", bundle});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("entry \"zeros.bin\":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("limit --max-ratio"), std::string::npos) << r.err;
}

struct UsageCase {
  std::string name;
  std::vector<std::string> args;
  std::string problem;  // the first stderr line after "lpicing: "
};

void PrintTo(const UsageCase& c, std::ostream* os) { *os << c.name; }

class ToolUsageTest : public ::testing::TestWithParam<UsageCase> {
 protected:
  TempDir tmp_;
};

TEST_P(ToolUsageTest, Exits64WithProblemAndUsageLine) {
  const UsageCase& c = GetParam();
  ToolRun r = run_tool(c.args);
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_EQ(r.err.rfind("lpicing: " + c.problem + "\nTry 'lpicing ", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ToolUsageTest,
    ::testing::Values(UsageCase{"NoArguments", {}, "no command given"},
                      UsageCase{"UnknownVerb", {"frobnicate"}, "unknown command \"frobnicate\""},
                      UsageCase{"DeployWithoutStore", {"deploy", "bundle.tar"}, "deploy needs --store=DIR"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

}  // namespace
