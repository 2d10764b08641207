// Shared memory that a child can write must never hurt the root parent
// (the CVE-2019-0211 class): a child-side scribble of every lpweb segment,
// then graceful restarts. The parent lives, the status pages (mod_status's
// included) answer, and redirects and assets are still served.
#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <string>

#include "decode.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

const std::string kCss = "/* shm test */\nbody { color: #123456; }\n";
// Large enough to be compressed in a combo: the compressor slots are used.
const std::string kJs = [] {
  std::string js;
  for (int i = 0; i < 40; ++i) js += "var shm_" + std::to_string(i) + " = " + std::to_string(i * 7) + ";\n";
  return js;
}();

class SharedMemoryTest : public IcingSiteTest {
 protected:
  void SetUp() override {
    LPWEB_SKIP_WITHOUT_LPEDGE();
    IcingSiteTest::SetUp();
    CommandResult r = site_->deploy(site_->pack("100", {{"css/app.css", kCss}, {"js/app.js", kJs}}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    site_->options.own_modules = {{"lpedge_module", LPWEB_MOD_LPEDGE},
                                  {"lpweb_scribble_module", LPWEB_MOD_SCRIBBLE}};
    site_->options.mpm_settings = "StartServers 2\nServerLimit 16\nThreadsPerChild 4\nMaxRequestWorkers 16";
    site_->options.httpd_modules = {"status"};
    // The drop directory too: its watcher writes the gauges a child scribbles over.
    start(site_->drop_config() +
          "LPEdgeRedirect edge.example.net example.net\n"
          "LPEdgeExempt /lpedge-status /lpicing-status /scribble /server-status\n"
          "<Location /lpedge-status>\n  SetHandler lpedge-status\n</Location>\n"
          "<Location /server-status>\n  SetHandler server-status\n</Location>\n"
          "<Location /scribble>\n  SetHandler lpweb-scribble\n</Location>\n");
  }

  // Everything a web tier must keep doing, whatever the counters say.
  void expect_serving(const std::string& when) {
    Response redirect = site_->get("/x%2Fy?z=1", {}, "bugs.edge.example.net");
    EXPECT_EQ(redirect.status, 301) << when;
    EXPECT_EQ(redirect.header("location"), "http://bugs.example.net/x%2Fy?z=1") << when;
    Response asset = site_->get("/+icing/rev100/css/app.css");
    EXPECT_EQ(asset.status, 200) << when;
    EXPECT_EQ(asset.body, kCss) << when;
    // Compressed or not (whatever the compressor slots hold), a combo is right.
    Response combo = site_->get("/+icing/+combo/rev100/?js/app.js&js/app.js", {"Accept-Encoding: br"});
    EXPECT_EQ(combo.status, 200) << when;
    // (A small decode limit: the decoder zero-fills it, and a slow test makes
    // the event MPM log AH10159 as it grows to ServerLimit.)
    EXPECT_EQ(combo.header("content-encoding") == "br" ? lpweb_test::brotli_decode(combo.body, 1 << 16) : combo.body,
              kJs + kJs)
        << when;
    for (const char* page : {"/lpicing-status", "/lpicing-status?format=prometheus", "/lpedge-status",
                             "/lpedge-status?format=prometheus", "/server-status", "/server-status?auto"}) {
      Response status = site_->get(page);
      EXPECT_EQ(status.status, 200) << when << ": " << page;
      EXPECT_FALSE(status.body.empty()) << when << ": " << page;
    }
  }

  // Scribbles from a child; the module names each segment it wrote.
  void scribble(const std::string& how) {
    Response r = site_->get("/scribble?" + how);
    ASSERT_EQ(r.status, 200);
    // Every segment must be found, or the test proves nothing.
    for (const char* key :
         {"lpweb-shm:lpedge-counters", "lpweb-shm:lpicing-counters", "lpweb-shm:lpicing-drop-gauges",
          "lpweb-shm:lpicing-compressors"})
      EXPECT_NE(r.body.find(key), std::string::npos) << "segment " << key << " not found:\n" << r.body;
  }

  void graceful_and_check(const std::string& when) {
    std::string error;
    ASSERT_TRUE(site_->httpd().graceful(&error)) << when << ": " << error;
    expect_serving(when + ", after a graceful restart");
  }
};

class ScribbleTest : public SharedMemoryTest, public ::testing::WithParamInterface<const char*> {};

// One scribble on fresh segments, then graceful restarts. keep=8 leaves the
// first word (a magic number, in a layout that has one) as it was, so the
// garbage after it still passes for a table.
TEST_P(ScribbleTest, NeverCrashesTheParentNorStopsServing) {
  expect_serving("before");
  scribble(GetParam());
  expect_serving(std::string("right after scribble ") + GetParam());
  graceful_and_check(std::string("scribble ") + GetParam());
  graceful_and_check(std::string("scribble ") + GetParam() + ", second restart");
}

INSTANTIATE_TEST_SUITE_P(Segments, ScribbleTest,
                         ::testing::Values("ff", "ff&keep=8", "random=1", "random=1&keep=8", "random=42",
                                           "random=42&keep=8"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name;
                           for (const char* p = info.param; *p; ++p)
                             name.push_back(std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_');
                           return name;
                         });

}  // namespace
}  // namespace lpweb::test
