// The drop directory against a writer who is hostile: the watcher and every
// ingest run as LPIcingUser, open each bundle once (no link followed, no
// FIFO blocking), keep their limits and key per drop directory, never roll a
// site back, and lose no outcome to a graceful restart. Real httpd, real
// lpicing, real archives and signatures.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "icing_site.h"

namespace lpweb::test {
namespace {

std::string css_for(const std::string& rev) { return "/* revision " + rev + " */\nbody { color: #123456; }\n"; }

Files small_files(const std::string& rev) { return {{"css/app.css", css_for(rev)}}; }

// A bundle whose deploy takes a few seconds (brotli 11 and gzip over ~3 MB of
// text): the window in which a drop-directory writer acts while the ingest is
// busy. The swap lands within microseconds of the ingest starting, so a
// bigger bundle would only cost a busy machine time.
Files slow_files(const std::string& rev, int modules = 200) {
  Files files = small_files(rev);
  for (int i = 0; i < modules; ++i) {
    std::string js = "// " + rev + " module " + std::to_string(i) + "\n";
    while (js.size() < 16 * 1024) js += "export const v" + std::to_string(js.size()) + " = '" + rev + "-" + std::to_string(i * 7919 + js.size()) + "';\n";
    files["js/m" + std::to_string(i) + ".js"] = js;
  }
  return files;
}

class DropTest : public IcingSiteTest {
 protected:
  void start_watching(const std::string& extra = "") { start(site_->drop_config() + extra); }

  bool logged(const std::string& needle) { return site_->httpd().error_log().find(needle) != std::string::npos; }
  // Waits (generously: the machine may be busy) for a line containing all of `needles`.
  bool eventually_logged(const std::vector<std::string>& needles, double seconds = 180) {
    return eventually(
        [&] {
          std::string log = site_->httpd().error_log();
          std::size_t start = 0;
          while (start < log.size()) {
            std::size_t end = log.find('\n', start);
            if (end == std::string::npos) end = log.size();
            std::string line = log.substr(start, end - start);
            bool all = true;
            for (const std::string& n : needles) all = all && line.find(n) != std::string::npos;
            if (all) return true;
            start = end + 1;
          }
          return false;
        },
        seconds);
  }
  bool eventually_served(const std::string& target, const std::string& body, double seconds = 180) {
    return eventually([&] { return site_->get(target).body == body; }, seconds);
  }
  std::string current() {
    char buf[256];
    ssize_t n = readlink((site_->store + "/current").c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  bool staging_busy() {
    std::error_code ec;
    std::filesystem::directory_iterator it(site_->store + "/staging", ec);
    return !ec && it != std::filesystem::directory_iterator();
  }
  // Holds STORE/.lock, as a writer does, so drops wait until it is released.
  int hold_store_lock() {
    int fd = open((site_->store + "/.lock").c_str(), O_RDWR | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(flock(fd, LOCK_EX), 0);
    return fd;
  }
  // Puts a and b in place while the store is locked, b newer, so one ingest
  // sees both and deploys a (slow) first; returns once a's deploy has begun.
  void drop_slow_then(const std::string& b_bundle) {
    int lock = hold_store_lock();
    site_->drop(site_->pack("200", slow_files("200")), "a.tar.gz");
    site_->drop(b_bundle, "b.tar.gz");
    struct timespec older[2] = {{1700000000, 0}, {1700000000, 0}};
    utimensat(AT_FDCWD, (site_->incoming + "/a.tar.gz").c_str(), older, 0);
    close(lock);
    ASSERT_TRUE(eventually([&] { return staging_busy(); }, 180)) << site_->httpd().error_log();
  }
};

// ---- the drop directory's ordinary work ----

TEST_F(DropTest, DroppedBundleIsServedThenCurrentAndTheDropFileRemoved) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching("LPIcingKeep 3\n");
  auto dropped_at = std::chrono::steady_clock::now();
  site_->drop(site_->pack("200", small_files("200")), "release-200.tar.gz");
  ASSERT_TRUE(eventually_served("/+icing/rev200/css/app.css", css_for("200"))) << site_->httpd().error_log();
  // A figure for the record; tests/bench/bench.sh measures drop-to-first-200 properly.
  RecordProperty("drop_to_first_200_seconds",
                 std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - dropped_at).count()));
  // The revision's own URLs answer from the moment its directory is renamed into
  // place; `current` flips just after, so the unversioned URL follows shortly.
  EXPECT_TRUE(eventually_served("/+icing/css/app.css", css_for("200"))) << site_->httpd().error_log();
  // The tool removes the dropped file just after the revision goes live.
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(site_->incoming + "/release-200.tar.gz"); }, 180));
  EXPECT_TRUE(eventually_logged({"LPI0310", "release-200.tar.gz", "\"200\""})) << site_->httpd().error_log();
}

// A drop deploys incrementally too: the files the store already holds are
// linked from its pool, and the watcher's line says what was reused.
TEST_F(DropTest, DroppedReleaseReusesWhatTheStoreHolds) {
  Files first = slow_files("100", 20);
  ASSERT_EQ(site_->deploy(site_->pack("100", first)).exit_code, 0);
  start_watching();
  Files next = first;
  next["css/app.css"] = css_for("200");  // one file changed of 21
  site_->drop(site_->pack("200", next), "release-200.tar.gz");
  ASSERT_TRUE(eventually_served("/+icing/rev200/css/app.css", css_for("200"))) << site_->httpd().error_log();
  EXPECT_TRUE(eventually_logged({"LPI0310", "release-200.tar.gz", "21 files: 20 reused (", "1 written (",
                                 "variants: 40 reused, 0 computed"}))
      << site_->httpd().error_log();
  struct stat a, b;
  ASSERT_EQ(stat((site_->store + "/revisions/100/files/js/m7.js.br").c_str(), &a), 0);
  ASSERT_EQ(stat((site_->store + "/revisions/200/files/js/m7.js.br").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // The one file written is the deploy user's, as the store is: the ingest wrote it.
  struct stat written, store;
  ASSERT_EQ(stat((site_->store + "/revisions/200/files/css/app.css").c_str(), &written), 0);
  ASSERT_EQ(stat(site_->store.c_str(), &store), 0);
  EXPECT_EQ(written.st_uid, store.st_uid);
  EXPECT_EQ(site_->get("/+icing/rev200/js/m7.js").body, next["js/m7.js"]);
}

TEST_F(DropTest, PartialFileIsIgnored) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching();
  std::filesystem::copy_file(site_->pack("300", small_files("300")), site_->incoming + "/release-300.tar.gz.part");
  // A complete bundle dropped after it is deployed; the .part one must still be waiting.
  site_->drop(site_->pack("301", small_files("301")), "release-301.tar.gz");
  ASSERT_TRUE(eventually_served("/+icing/rev301/css/app.css", css_for("301"))) << site_->httpd().error_log();
  EXPECT_TRUE(std::filesystem::exists(site_->incoming + "/release-300.tar.gz.part"));
  EXPECT_EQ(site_->get("/+icing/rev300/css/app.css").status, 404);
}

TEST_F(DropTest, BadBundleIsMovedAsideWithItsReason) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching();
  allowed_errors_ = {"LPI0312"};
  write_file(site_->incoming + "/broken.tar.gz", "this is not an archive at all");
  std::string reason = site_->incoming + "/rejected/broken.tar.gz.reason";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(reason); }, 180)) << site_->httpd().error_log();
  EXPECT_TRUE(std::filesystem::exists(site_->incoming + "/rejected/broken.tar.gz"));
  EXPECT_NE(read_file(reason).find("not a tar archive"), std::string::npos);
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("100"));
  EXPECT_TRUE(eventually_logged({"LPI0312", "broken.tar.gz", "not a tar archive"})) << site_->httpd().error_log();
}

// ---- the drop directory against a hostile writer ----

// Defect 1: the ingest used to open each bundle by path after a wide window.
TEST_F(DropTest, BundleSwappedForASymlinkAfterTheScanIsNeverOpened) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  // A root-only release the attacker wants published.
  std::string secret = site_->pack("secret", {{"css/app.css", "/* root-only secret */\n"}});
  chmod(secret.c_str(), 0600);
  start_watching();
  allowed_errors_ = {"LPI0314"};
  drop_slow_then(site_->pack("201", small_files("201")));
  std::string link = site_->incoming + "/.swap";
  ASSERT_EQ(symlink(secret.c_str(), link.c_str()), 0);
  ASSERT_EQ(rename(link.c_str(), (site_->incoming + "/b.tar.gz").c_str()), 0);
  ASSERT_TRUE(eventually_served("/+icing/rev200/css/app.css", css_for("200"))) << site_->httpd().error_log();
  // Once a is in, b's turn comes: it is skipped, never deployed.
  EXPECT_TRUE(eventually([&] { return logged("LPI0314") || std::filesystem::exists(site_->store + "/revisions/secret"); }, 180));
  EXPECT_FALSE(std::filesystem::exists(site_->store + "/revisions/secret"));
  EXPECT_EQ(site_->get("/+icing/revsecret/css/app.css").status, 404);
  EXPECT_TRUE(eventually_logged({"LPI0314", "b.tar.gz"})) << site_->httpd().error_log();
}

TEST_F(DropTest, BundleSwappedForAFifoAfterTheScanNeitherBlocksNorHoldsTheLock) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching();
  allowed_errors_ = {"LPI0314"};
  drop_slow_then(site_->pack("201", small_files("201")));
  std::string fifo = site_->incoming + "/.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
  ASSERT_EQ(rename(fifo.c_str(), (site_->incoming + "/b.tar.gz").c_str()), 0);
  ASSERT_TRUE(eventually_served("/+icing/rev200/css/app.css", css_for("200"))) << site_->httpd().error_log();
  // The store is free again: a later drop and a command-line deploy both go through.
  site_->drop(site_->pack("202", small_files("202")), "c.tar.gz");
  EXPECT_TRUE(eventually_served("/+icing/rev202/css/app.css", css_for("202"))) << site_->httpd().error_log();
  EXPECT_EQ(site_->deploy(site_->pack("203", small_files("203")), {"--no-activate"}).exit_code, 0);
  EXPECT_TRUE(eventually_logged({"LPI0314", "b.tar.gz"})) << site_->httpd().error_log();
}

// Defect 5: a regular file named rejected used to stop every later deploy.
TEST_F(DropTest, RejectedThatIsAFileDoesNotWedgeTheDropDirectory) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  write_file(site_->incoming + "/rejected", "not a directory\n");
  start_watching();
  allowed_errors_ = {"LPI0312", "LPI0317"};
  write_file(site_->incoming + "/broken.tar.gz", "this is not an archive at all");
  site_->drop(site_->pack("300", small_files("300")), "good.tar.gz");
  ASSERT_TRUE(eventually_served("/+icing/css/app.css", css_for("300"))) << site_->httpd().error_log();
  EXPECT_TRUE(eventually_logged({"LPI0317", "broken.tar.gz"})) << site_->httpd().error_log();
  // Set aside under a name that is not tried again, with its reason.
  EXPECT_FALSE(std::filesystem::exists(site_->incoming + "/broken.tar.gz"));
  EXPECT_TRUE(std::filesystem::exists(site_->incoming + "/.rejected.broken.tar.gz"));
  EXPECT_NE(read_file(site_->incoming + "/.rejected.broken.tar.gz.reason").find("not a tar archive"),
            std::string::npos);
  EXPECT_EQ(read_file(site_->incoming + "/rejected"), "not a directory\n");
}

// Defect 6: the watcher's limits used to be the tool's defaults whatever the config said.
// A drop the deploy user may not read is rejected once, not tried (and
// journaled and logged) every second.
TEST_F(DropTest, BundleTheDeployUserCannotReadIsRejectedOnce) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: the file must be unreadable to the deploy user only";
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching();
  allowed_errors_ = {"LPI0312"};
  std::string bundle = site_->pack("150", small_files("150"));
  ASSERT_EQ(chmod(bundle.c_str(), 0), 0);
  site_->drop(bundle, "locked.tar.gz");
  ASSERT_TRUE(eventually_logged({"LPI0312", "locked.tar.gz", "cannot read"})) << site_->httpd().error_log();
  EXPECT_TRUE(std::filesystem::exists(site_->incoming + "/rejected/locked.tar.gz.reason"));
  EXPECT_FALSE(std::filesystem::exists(site_->incoming + "/locked.tar.gz"));
  // A later good drop is still served, and the locked one was logged once.
  site_->drop(site_->pack("151", small_files("151")), "next.tar.gz");
  ASSERT_TRUE(eventually_served("/+icing/css/app.css", css_for("151"))) << site_->httpd().error_log();
  std::string log = site_->httpd().error_log();
  std::size_t first = log.find("\"locked.tar.gz\"");
  EXPECT_EQ(log.find("\"locked.tar.gz\"", first + 1), std::string::npos) << log;
}

TEST_F(DropTest, LimitsComeFromTheDirectives) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching("LPIcingMaxEntries 4\n");
  allowed_errors_ = {"LPI0312"};
  Files many = small_files("400");
  for (int i = 0; i < 6; ++i) many["f" + std::to_string(i) + ".txt"] = "x\n";
  site_->drop(site_->pack("400", many), "many.tar.gz");
  ASSERT_TRUE(eventually_logged({"LPI0312", "many.tar.gz", "--max-entries"})) << site_->httpd().error_log();
  EXPECT_NE(read_file(site_->incoming + "/rejected/many.tar.gz.reason").find("more than 4 entries"), std::string::npos);
  EXPECT_EQ(site_->get("/+icing/rev400/css/app.css").status, 404);
}

// Defect 7: re-dropping an old release used to make it current again.
TEST_F(DropTest, ReDroppedOldBundleNeverRollsBack) {
  std::string old_bundle = site_->pack("100", small_files("100"));
  ASSERT_EQ(site_->deploy(old_bundle).exit_code, 0);
  ASSERT_EQ(site_->deploy(site_->pack("101", small_files("101"))).exit_code, 0);
  start_watching();
  site_->drop(old_bundle, "old-again.tar.gz");
  ASSERT_TRUE(eventually([&] { return !std::filesystem::exists(site_->incoming + "/old-again.tar.gz"); }, 180))
      << site_->httpd().error_log();
  EXPECT_EQ(current(), "revisions/101");
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("101"));
  EXPECT_TRUE(eventually_logged({"LPI0311", "old-again.tar.gz"})) << site_->httpd().error_log();
}

// Defect 1 (a graceful restart mid-ingest): the outcome is logged by the next watcher.
TEST_F(DropTest, GracefulRestartMidIngestKeepsItsOutcome) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching();
  site_->drop(site_->pack("500", slow_files("500")), "slow.tar.gz");
  ASSERT_TRUE(eventually([&] { return staging_busy(); }, 180)) << site_->httpd().error_log();
  std::string error;
  ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
  ASSERT_TRUE(eventually_served("/+icing/css/app.css", css_for("500"))) << site_->httpd().error_log();
  ASSERT_TRUE(eventually_logged({"slow.tar.gz", "\"500\""})) << site_->httpd().error_log();
  EXPECT_TRUE(eventually_logged({"LPI0310", "slow.tar.gz", "\"500\""})) << site_->httpd().error_log();
  // Reported once, not again by every later watcher.
  ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
  site_->drop(site_->pack("501", small_files("501")), "next.tar.gz");
  ASSERT_TRUE(eventually_logged({"LPI0310", "next.tar.gz"})) << site_->httpd().error_log();
  std::string log = site_->httpd().error_log();
  std::size_t first = log.find("\"slow.tar.gz\"");
  EXPECT_EQ(log.find("\"slow.tar.gz\"", first + 1), std::string::npos) << log;
}

TEST_F(DropTest, IngestOverItsTimeLimitIsKilledAndItsBundleLeftInPlace) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching("LPIcingIngestTimeout 1\n");
  allowed_errors_ = {"LPI0316", "LPI0309"};
  site_->drop(site_->pack("600", slow_files("600", 1000)), "slow.tar.gz");  // killed at 1 s, whatever its size
  ASSERT_TRUE(eventually_logged({"LPI0316", "1 s"})) << site_->httpd().error_log();
  EXPECT_TRUE(std::filesystem::exists(site_->incoming + "/slow.tar.gz"));
  EXPECT_FALSE(std::filesystem::exists(site_->store + "/revisions/600"));
  // The killed ingest held the store lock; its death released it.
  EXPECT_EQ(site_->deploy(site_->pack("601", small_files("601"))).exit_code, 0);
  EXPECT_EQ(site_->get("/+icing/css/app.css").body, css_for("601"));
}

TEST_F(DropTest, WatcherAndIngestWriteTheStoreAsLPIcingUser) {
  start_watching();
  site_->drop(site_->pack("700", small_files("700")), "r.tar.gz");
  ASSERT_TRUE(eventually_served("/+icing/css/app.css", css_for("700"))) << site_->httpd().error_log();
  struct stat st;
  ASSERT_EQ(stat((site_->store + "/revisions/700/files/css/app.css").c_str(), &st), 0);
  const passwd* pw = getpwnam(deploy_user().c_str());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(st.st_uid, pw->pw_uid);
}

// Defect 8: the status page named absolute paths in its errors.
TEST_F(DropTest, StatusPageNamesNoAbsolutePath) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  ASSERT_EQ(site_->deploy(site_->pack("101", small_files("101"))).exit_code, 0);
  // A revision httpd's children cannot read, and a stray name in revisions/.
  ASSERT_EQ(chmod((site_->store + "/revisions/100/INDEX").c_str(), 0600), 0);
  std::filesystem::create_directory(site_->store + "/revisions/not a revision");
  start();
  Response json = site_->get("/lpicing-status");
  ASSERT_EQ(json.status, 200);
  EXPECT_NE(json.body.find("\"errors\": [{"), std::string::npos) << json.body;
  EXPECT_EQ(json.body.find(site_->store), std::string::npos) << json.body;
  EXPECT_EQ(json.body.find(site_->dir), std::string::npos) << json.body;
}

// Defect 9 and the signed drop directory.
class SignedDropTest : public DropTest {
 protected:
  void SetUp() override {
    DropTest::SetUp();
    key_ = site_->dir + "/release.key.pem";
    pub_ = site_->dir + "/release.pub.pem";
    ASSERT_EQ(run_command({"/usr/bin/openssl", "genpkey", "-algorithm", "ed25519", "-out", key_}).exit_code, 0);
    ASSERT_EQ(run_command({"/usr/bin/openssl", "pkey", "-in", key_, "-pubout", "-out", pub_}).exit_code, 0);
    chmod(pub_.c_str(), 0644);
  }
  std::string key_, pub_;
};

TEST_F(SignedDropTest, OnlyBundlesSignedWithTheTrustedKeyAreDeployed) {
  ASSERT_EQ(site_->deploy(site_->pack("100", small_files("100"))).exit_code, 0);
  start_watching("LPIcingTrustedKey \"" + pub_ + "\"\n");
  allowed_errors_ = {"LPI0312"};
  site_->drop(site_->pack("800", small_files("800")), "unsigned.tar.gz");
  ASSERT_TRUE(eventually_logged({"LPI0312", "unsigned.tar.gz", "SHA256SUMS.sig"})) << site_->httpd().error_log();
  EXPECT_EQ(site_->get("/+icing/rev800/css/app.css").status, 404);
  site_->drop(site_->pack("801", small_files("801"), {"-k", key_}), "signed.tar.gz");
  EXPECT_TRUE(eventually_served("/+icing/css/app.css", css_for("801"))) << site_->httpd().error_log();
}

TEST_F(SignedDropTest, VirtualHostKeyOverAnInheritedDropDirectoryFailsTheConfigTest) {
  auto [code, output] = site_->config_test(site_->drop_config() + "<VirtualHost *>\n  ServerName signed.example\n"
                                            "  LPIcingTrustedKey \"" + pub_ + "\"\n</VirtualHost>\n");
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find(site_->incoming), std::string::npos) << output;
  EXPECT_NE(output.find("signed.example"), std::string::npos) << output;
  EXPECT_NE(output.find("LPIcingTrustedKey"), std::string::npos) << output;
}

// LPIcingUser: never root, must exist, and should not be httpd's own User.
TEST(DropConfig, DeployUserIsCheckedByTheConfigTest) {
  IcingSite site;
  struct Case {
    std::string user_line, expect;
    bool fails;
  } cases[] = {
      {"", "LPIcingUser", true},
      {"LPIcingUser root", "root", true},
      {"LPIcingUser no-such-user-lpweb", "no-such-user-lpweb", true},
      {"LPIcingUser " + deploy_user() + " no-such-group-lpweb", "no-such-group-lpweb", true},
  };
  for (const Case& c : cases) {
    auto [code, output] = site.config_test("LPIcingIncoming \"" + site.incoming + "\"\n" + c.user_line + "\n");
    EXPECT_EQ(code != 0, c.fails) << c.user_line << "\n" << output;
    EXPECT_NE(output.find(c.expect), std::string::npos) << c.user_line << "\n" << output;
  }
}

TEST(DropConfig, DeployUserThatIsHttpdsOwnUserIsWarnedAbout) {
  if (geteuid() != 0) GTEST_SKIP() << "httpd runs as its own User only when started as root";
  IcingSite site;
  ASSERT_EQ(chown(site.store.c_str(), 33, 33), 0);  // www-data owns the store: only the warning remains
  auto [code, output] = site.config_test("LPIcingIncoming \"" + site.incoming + "\"\nLPIcingUser www-data\n");
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("www-data"), std::string::npos) << output;
  EXPECT_NE(output.find("children could"), std::string::npos) << output;
}

TEST(DropConfig, StoreNotOwnedByTheDeployUserFailsTheConfigTest) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the store another owner";
  IcingSite site;
  ASSERT_EQ(chown(site.store.c_str(), 0, 0), 0);
  auto [code, output] = site.config_test(site.drop_config());
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find(site.store), std::string::npos) << output;
  EXPECT_NE(output.find("chown"), std::string::npos) << output;
}

}  // namespace
}  // namespace lpweb::test
