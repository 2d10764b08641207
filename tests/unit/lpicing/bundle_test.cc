// Tests of the bundle reader's pure checks (names, UTF-8, REVISION, SHA256SUMS) and of
// verify-only reading (no staging directory): formats, signatures, limits.
#include <gtest/gtest.h>

#include "bundle.h"
#include "text.h"
#include "lpicing_test_util.h"

namespace lpicing {
namespace {

using lpicing_test::BundleSpec;
using lpicing_test::Filter;
using lpicing_test::TarEntry;
using lpicing_test::TempDir;

std::string name_reason(std::string_view raw, bool dir = false) {
  lpweb::Result<std::string> name = normalize_entry_name(raw, dir);
  return name ? "ok:" + *name : name.error().message;
}

TEST(BundleNames, AcceptsPlainRelativeNames) {
  EXPECT_EQ(name_reason("css/app.css"), "ok:css/app.css");
  EXPECT_EQ(name_reason("\xc3\xa9t\xc3\xa9.txt"), "ok:\xc3\xa9t\xc3\xa9.txt");
}

TEST(BundleNames, StripsOneLeadingDotSlashAsGnuTarWrites) {
  EXPECT_EQ(name_reason("./css/app.css"), "ok:css/app.css");
  EXPECT_EQ(name_reason("./", true), "ok:");
  EXPECT_EQ(name_reason("././a"), "name has a '.' component");
}

TEST(BundleNames, AcceptsOneTrailingSlashOnDirectoriesOnly) {
  EXPECT_EQ(name_reason("css/", true), "ok:css");
  EXPECT_EQ(name_reason("css/"), "name has an empty component");
  EXPECT_EQ(name_reason("css//", true), "name has an empty component");
}

TEST(BundleNames, RejectsTraversalAndAbsoluteNames) {
  EXPECT_EQ(name_reason("a/../b"), "name has a '..' component");
  EXPECT_EQ(name_reason(".."), "name has a '..' component");
  EXPECT_EQ(name_reason("/etc/passwd"), "name is absolute");
  EXPECT_EQ(name_reason("a/./b"), "name has a '.' component");
  EXPECT_EQ(name_reason("a//b"), "name has an empty component");
  EXPECT_EQ(name_reason(""), "empty name");
}

TEST(BundleNames, RejectsControlCharactersAndBadUtf8) {
  EXPECT_EQ(name_reason("a\nb"), "name contains a control character");
  EXPECT_EQ(name_reason("a\x7f"), "name contains a control character");
  EXPECT_EQ(name_reason("a\xff"), "name is not valid UTF-8");
}

TEST(BundleNames, RejectsOverlongComponentsAndPaths) {
  EXPECT_EQ(name_reason(std::string(256, 'a')), "name has a component longer than 255 bytes");
  EXPECT_EQ(name_reason(std::string(255, 'a')), "ok:" + std::string(255, 'a'));
  std::string longpath;
  for (int i = 0; i < 11; ++i) longpath += std::string(99, 'x') + "/";
  longpath += "f";
  EXPECT_EQ(name_reason(longpath), "name is longer than 1024 bytes");
}

TEST(BundleUtf8, RejectsOverlongFormsAndSurrogates) {
  EXPECT_FALSE(lpweb::valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(lpweb::valid_utf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(lpweb::valid_utf8("\xf0\x80\x80\xaf"));  // overlong '/'
  EXPECT_FALSE(lpweb::valid_utf8("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(lpweb::valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(lpweb::valid_utf8("\xe2\x82"));          // truncated
  EXPECT_TRUE(lpweb::valid_utf8("\xe2\x82\xac \xf0\x9f\x98\x80"));
}

TEST(BundleRevision, FollowsTheContractPattern) {
  EXPECT_TRUE(is_valid_revision_id("r1"));
  EXPECT_TRUE(is_valid_revision_id("2024.05.01-abc_def"));
  EXPECT_TRUE(is_valid_revision_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_revision_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_revision_id(".hidden"));
  EXPECT_FALSE(is_valid_revision_id("-x"));
  EXPECT_FALSE(is_valid_revision_id("a/b"));
  EXPECT_FALSE(is_valid_revision_id(""));
  lpweb::Result<std::string> r = parse_revision_file("abc\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "abc");
  EXPECT_TRUE(parse_revision_file("abc"));
  EXPECT_FALSE(parse_revision_file("abc\n\n"));
  EXPECT_FALSE(parse_revision_file("abc\r\n"));
}

TEST(BundleSums, ParsesTextAndBinaryMarkersAndDotSlash) {
  std::string h(64, 'a');
  std::map<std::string, Sha256> out;
  EXPECT_FALSE(lpicing_test::sums_into(h + "  a.css\n" + h + " *b.js\n" + h + "  ./c/d.txt", &out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out.count("c/d.txt"));
}

TEST(BundleSums, RejectsMalformedAndDuplicateLines) {
  std::string h(64, 'a');
  std::map<std::string, Sha256> out;
  auto e = lpicing_test::sums_into(h + "  a\n" + h + "  a\n", &out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->entry, "a");
  EXPECT_NE(e->message.find("listed twice"), std::string::npos);
  out.clear();
  e = lpicing_test::sums_into(h.substr(1) + "  a\n", &out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->entry, "SHA256SUMS");
  EXPECT_NE(e->message.find("line 1"), std::string::npos);
  out.clear();
  e = lpicing_test::sums_into(h + "  SHA256SUMS\n", &out);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("must not list itself"), std::string::npos);
}

class BundleVerify : public ::testing::Test {
 protected:
  std::optional<lpweb::Error> verify(const BundleSpec& spec, const BundleOptions& options = {}) {
    std::string path = tmp_ / "b.tar";
    lpicing_test::write_bundle(path, spec);
    return lpicing_test::read_into(path, options, &bundle_);
  }
  BundleSpec spec() {
    BundleSpec s;
    s.files = {{"css/app.css", lpicing_test::css_text(20)}, {"js/a.js", "console.log(1)\n"}};
    return s;
  }
  TempDir tmp_;
  Bundle bundle_;
};

TEST_F(BundleVerify, ReadsAValidBundleInEveryCompression) {
  for (Filter f : {Filter::none, Filter::gzip, Filter::xz, Filter::zstd}) {
    BundleSpec s = spec();
    s.filter = f;
    auto e = verify(s);
    ASSERT_FALSE(e) << e->what();
    EXPECT_EQ(bundle_.revision, "r1");
    ASSERT_EQ(bundle_.files.size(), 2u);
    EXPECT_EQ(bundle_.files[0].path, "css/app.css");
    EXPECT_EQ(bundle_.files[0].mtime, 1700000000);
    EXPECT_EQ(bundle_.sums, lpicing_test::sums_for(s));
  }
}

TEST_F(BundleVerify, DetectsCompressionFromContentNotName) {
  BundleSpec s = spec();
  s.filter = Filter::zstd;
  std::string path = tmp_ / "really-zstd.tar";
  lpicing_test::write_bundle(path, s);
  EXPECT_FALSE(lpicing_test::read_into(path, {}, &bundle_));
  EXPECT_EQ(bundle_.revision, "r1");
}

TEST_F(BundleVerify, RejectsAFileThatIsNotATarArchive) {
  std::string path = tmp_ / "junk.tar.gz";
  lpicing_test::write_file(path, "this is not an archive at all, just text\n");
  auto e = lpicing_test::read_into(path, {}, &bundle_);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("not a tar archive"), std::string::npos);
}

TEST_F(BundleVerify, AcceptsAGoodSignatureFromTheTrustedKey) {
  auto key = lpicing_test::make_ed25519_key();
  BundleSpec s = spec();
  s.private_key_pem = key.private_pem;
  BundleOptions o;
  o.trusted_key_pem = key.public_pem;
  auto e = verify(s, o);
  ASSERT_FALSE(e) << e->what();
  EXPECT_TRUE(bundle_.signature_verified);
}

TEST_F(BundleVerify, IgnoresASignatureWhenNoKeyIsConfigured) {
  auto key = lpicing_test::make_ed25519_key();
  BundleSpec s = spec();
  s.private_key_pem = key.private_pem;
  EXPECT_FALSE(verify(s));
  EXPECT_FALSE(bundle_.signature_verified);
}

TEST_F(BundleVerify, RejectsOverTheEntryLimit) {
  BundleOptions o;
  o.limits.max_entries = 3;
  auto e = verify(spec(), o);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("--max-entries"), std::string::npos);
}

TEST_F(BundleVerify, RejectsOverTheByteLimit) {
  BundleOptions o;
  o.limits.max_bytes = 400;  // room for REVISION and SHA256SUMS, not the CSS
  auto e = verify(spec(), o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->entry, "css/app.css");
  EXPECT_NE(e->message.find("--max-bytes"), std::string::npos);
}

TEST_F(BundleVerify, RatioLimitSparesTinyBundles) {
  // A few bytes of files in a tar padded to 10 KiB: a huge ratio, but under 1 MiB.
  BundleSpec s = spec();
  s.filter = Filter::gzip;
  BundleOptions o;
  o.limits.max_ratio = 1;
  EXPECT_FALSE(verify(s, o));
}

TEST_F(BundleVerify, RejectsAFileListedInSumsThatIsADirectory) {
  BundleSpec s = spec();
  s.after = {{TarEntry::dir, "fonts/", "", 0, 1700000000, ""}};
  s.extra_sums = lpicing_test::sums_line("", "fonts");
  auto e = verify(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->entry, "fonts");
  EXPECT_NE(e->message.find("is a directory"), std::string::npos);
}

TEST_F(BundleVerify, RejectsMetadataNameUsedAsDirectory) {
  BundleSpec s = spec();
  s.after = {{TarEntry::file, "SHA256SUMS.sig/x", "x", 0, 1700000000, ""}};
  auto e = verify(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->entry, "SHA256SUMS.sig/x");
}

TEST_F(BundleVerify, AcceptsGnuTarDotSlashNames) {
  // As `tar -C dir .` writes them, with `sha256sum ./...` style SHA256SUMS lines.
  std::string css = lpicing_test::css_text(3);
  std::string sums = lpicing_test::sums_line("r1\n", "./REVISION") + lpicing_test::sums_line(css, "./css/app.css");
  std::string path = tmp_ / "gnu.tar";
  lpicing_test::write_tar(path, {{TarEntry::dir, "./", "", 0, 1700000000, ""},
                                 {TarEntry::file, "./REVISION", "r1\n", 0, 1700000000, ""},
                                 {TarEntry::file, "./SHA256SUMS", sums, 0, 1700000000, ""},
                                 {TarEntry::dir, "./css/", "", 0, 1700000000, ""},
                                 {TarEntry::file, "./css/app.css", css, 0, 1700000000, ""}},
                          Filter::none);
  auto e = lpicing_test::read_into(path, {}, &bundle_);
  ASSERT_FALSE(e) << e->what();
  ASSERT_EQ(bundle_.files.size(), 1u);
  EXPECT_EQ(bundle_.files[0].path, "css/app.css");
  ASSERT_EQ(bundle_.directories.size(), 1u);
  EXPECT_EQ(bundle_.directories[0].path, "css");
}

}  // namespace
}  // namespace lpicing
