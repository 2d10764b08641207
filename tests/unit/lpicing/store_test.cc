// Tests of the store: every rejection class leaves the store byte-identical, successful
// deploys (layout, INDEX, variants), redeploy, activate/previous, retention, prune,
// ingest from a drop directory, and pack -> verify round trips.
#include <gtest/gtest.h>

#include <filesystem>

#include <set>

#include "decode.h"
#include "index.h"
#include "pack.h"
#include "precompress.h"
#include "ingest.h"
#include "journal.h"
#include "store.h"
#include "lpicing_test_util.h"

namespace lpicing {
namespace {

using lpicing_test::BundleSpec;
using lpicing_test::message;
using lpicing_test::Outcome;
using lpicing_test::outcome;
using lpicing_test::Filter;
using lpicing_test::TarEntry;
using lpicing_test::TempDir;

constexpr std::int64_t kT0 = 1700000000;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = tmp_ / "store";
    // A store that already holds a revision, so "unchanged" means something.
    BundleSpec base;
    base.revision = "r0";
    base.files = {{"css/app.css", lpicing_test::css_text(5)}};
    DeployOptions o;
    o.now = kT0 - 1000;
    ASSERT_EQ(outcome(deploy(base, o)), Outcome::ok);
  }

  BundleSpec good(const std::string& revision = "r1") {
    BundleSpec s;
    s.revision = revision;
    s.files = {{"css/app.css", lpicing_test::css_text(50)},
               {"js/app.js", "console.log('hello');\n"},
               {"img/logo.png", std::string(300, '\x89')}};
    return s;
  }

  StoreResult deploy(const BundleSpec& spec, DeployOptions options = {}) {
    std::string path = tmp_ / ("bundle" + std::to_string(counter_++) + ".tar");
    lpicing_test::write_bundle(path, spec);
    return deploy_bundle(store_, path, options);
  }

  // Deploys and expects a rejection naming `entry` for `reason`, with the store unchanged.
  void expect_rejected(const BundleSpec& spec, const std::string& entry, const std::string& reason,
                       DeployOptions options = {}) {
    auto before = lpicing_test::snapshot(store_);
    StoreResult r = deploy(spec, options);
    EXPECT_EQ(outcome(r), Outcome::rejected) << message(r);
    ASSERT_FALSE(r.ok()) << message(r);
    EXPECT_EQ(r.error().entry, entry);
    EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
    EXPECT_NE(message(r).find(reason), std::string::npos);
    EXPECT_EQ(message(r).find('\n'), std::string::npos);
    EXPECT_EQ(lpicing_test::snapshot(store_), before);
  }

  TempDir tmp_;
  std::string store_;
  int counter_ = 0;
};

TEST_F(StoreTest, RejectsDotDotComponent) {
  BundleSpec s = good();
  s.after = {{TarEntry::file, "a/../b", "x", 0, kT0, ""}};
  expect_rejected(s, "a/../b", "name has a '..' component");
}

TEST_F(StoreTest, RejectsAbsoluteName) {
  BundleSpec s = good();
  s.after = {{TarEntry::file, "/etc/evil", "x", 0, kT0, ""}};
  expect_rejected(s, "/etc/evil", "name is absolute");
}

TEST_F(StoreTest, RejectsSymlink) {
  BundleSpec s = good();
  s.after = {{TarEntry::symlink, "css/link.css", "", 0, kT0, "app.css"}};
  expect_rejected(s, "css/link.css", "symbolic links are not allowed");
}

TEST_F(StoreTest, RejectsSymlinkFollowedByAFileWrittenThroughIt) {
  TempDir outside;
  BundleSpec s = good();
  s.before = {{TarEntry::symlink, "escape", "", 0, kT0, outside.path()},
              {TarEntry::file, "escape/owned.txt", "pwned", 0, kT0, ""}};
  expect_rejected(s, "escape", "symbolic links are not allowed");
  EXPECT_TRUE(lpicing_test::snapshot(outside.path()).empty());
}

TEST_F(StoreTest, RejectsHardlink) {
  BundleSpec s = good();
  s.after = {{TarEntry::hardlink, "css/copy.css", "", 0, kT0, "css/app.css"}};
  expect_rejected(s, "css/copy.css", "hard links are not allowed");
}

TEST_F(StoreTest, RejectsDevice) {
  BundleSpec s = good();
  s.after = {{TarEntry::chardev, "null", "", 0, kT0, ""}};
  expect_rejected(s, "null", "device files are not allowed");
}

TEST_F(StoreTest, RejectsFifo) {
  BundleSpec s = good();
  s.after = {{TarEntry::fifo, "pipe", "", 0, kT0, ""}};
  expect_rejected(s, "pipe", "FIFOs are not allowed");
}

TEST_F(StoreTest, RejectsSetuidMode) {
  BundleSpec s = good();
  s.after = {{TarEntry::file, "bin/tool", "x", 04755, kT0, ""}};
  expect_rejected(s, "bin/tool", "setuid, setgid and sticky modes are not allowed");
}

TEST_F(StoreTest, RejectsDuplicateName) {
  BundleSpec s = good();
  s.after = {{TarEntry::file, "js/app.js", "console.log('other');\n", 0, kT0, ""}};
  expect_rejected(s, "js/app.js", "duplicate name");
}

TEST_F(StoreTest, RejectsFileWhoseNameIsADirectory) {
  BundleSpec s = good();
  s.after = {{TarEntry::file, "css", "x", 0, kT0, ""}};
  expect_rejected(s, "css", "regular file has the name of a directory");
}

TEST_F(StoreTest, RejectsFileMissingFromSums) {
  BundleSpec s = good();
  s.unlisted = {"js/app.js"};
  expect_rejected(s, "js/app.js", "not listed in SHA256SUMS");
}

TEST_F(StoreTest, RejectsListedFileMissingFromArchive) {
  BundleSpec s = good();
  s.extra_sums = lpicing_test::sums_line("gone", "css/gone.css");
  expect_rejected(s, "css/gone.css", "listed in SHA256SUMS but missing from the archive");
}

TEST_F(StoreTest, RejectsWrongChecksum) {
  BundleSpec s = good();
  s.unlisted = {"js/app.js"};
  s.extra_sums = lpicing_test::sums_line("something else", "js/app.js");
  expect_rejected(s, "js/app.js", "checksum mismatch");
}

TEST_F(StoreTest, RejectsMissingSignatureWhenAKeyIsConfigured) {
  auto key = lpicing_test::make_ed25519_key();
  DeployOptions o;
  o.bundle.trusted_key_pem = key.public_pem;
  expect_rejected(good(), "SHA256SUMS.sig", "must be signed", o);
}

TEST_F(StoreTest, RejectsSignatureFromAnotherKey) {
  auto trusted = lpicing_test::make_ed25519_key(), other = lpicing_test::make_ed25519_key();
  BundleSpec s = good();
  s.private_key_pem = other.private_pem;
  DeployOptions o;
  o.bundle.trusted_key_pem = trusted.public_pem;
  expect_rejected(s, "SHA256SUMS.sig", "does not match the trusted key", o);
}

TEST_F(StoreTest, RejectsSignatureOfTheWrongLength) {
  auto key = lpicing_test::make_ed25519_key();
  BundleSpec s = good();
  s.signature_override = "short";
  DeployOptions o;
  o.bundle.trusted_key_pem = key.public_pem;
  expect_rejected(s, "SHA256SUMS.sig", "not 64", o);
}

TEST_F(StoreTest, RejectsBadRevision) {
  BundleSpec s = good();
  s.revision_file = "../evil\n";
  expect_rejected(s, "REVISION", "does not match");
}

TEST_F(StoreTest, RejectsSameRevisionWithDifferentContent) {
  BundleSpec s = good("r0");
  expect_rejected(s, "SHA256SUMS", "already in the store with different content");
}

TEST_F(StoreTest, RejectsGzipBombOverTheRatioLimit) {
  BundleSpec s = good();
  s.files.push_back({"big.txt", std::string(8 << 20, '\0')});
  s.filter = Filter::gzip;
  expect_rejected(s, "big.txt", "--max-ratio");
}

TEST_F(StoreTest, RejectsFilesThatTogetherExceedTheRatioLimit) {
  // Two 768 KiB files: each under the 1 MiB floor alone, together over it.
  BundleSpec s = good();
  s.files.push_back({"a.txt", std::string(768 << 10, 'a')});
  s.files.push_back({"b.txt", std::string(768 << 10, 'b')});
  expect_rejected(s, "b.txt", "--max-ratio");
}

TEST_F(StoreTest, DeploysLayoutIndexAndVariants) {
  BundleSpec s = good();
  s.files.push_back({"css/shipped.css", lpicing_test::css_text(40)});
  s.files.push_back({"css/shipped.css.br", "pretend brotli"});
  s.files.push_back({"fonts/a.woff2", std::string(2000, 'w')});
  s.files.push_back({".well-hidden", "secret"});
  DeployOptions o;
  o.now = kT0 + 100;
  StoreResult r = deploy(s, o);
  ASSERT_EQ(outcome(r), Outcome::ok) << message(r);
  EXPECT_EQ(r->revision, "r1");
  std::string rev = store_ + "/revisions/r1";
  struct stat st;
  ASSERT_EQ(lstat((rev + "/files/css/app.css").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);  // read-only: later revisions may link it
  EXPECT_EQ(st.st_mtime, kT0);
  ASSERT_EQ(lstat((rev + "/files/css").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(lpicing_test::slurp(rev + "/SHA256SUMS"), lpicing_test::sums_for(s));
  EXPECT_EQ(lpicing_test::slurp(rev + "/REVISION"), "r1\n");
  EXPECT_FALSE(lpicing_test::exists(rev + "/files/REVISION"));
  // Generated variants for a large CSS file, none for small, binary or shipped ones.
  // Each generated variant decodes to the source file the bundle carried.
  EXPECT_EQ(lpweb_test::brotli_decode(lpicing_test::slurp(rev + "/files/css/app.css.br")), lpicing_test::css_text(50));
  EXPECT_EQ(lpweb_test::gzip_decode(lpicing_test::slurp(rev + "/files/css/app.css.gz")), lpicing_test::css_text(50));
  EXPECT_FALSE(lpicing_test::exists(rev + "/files/js/app.js.br"));
  EXPECT_FALSE(lpicing_test::exists(rev + "/files/fonts/a.woff2.br"));
  EXPECT_EQ(lpicing_test::slurp(rev + "/files/css/shipped.css.br"), "pretend brotli");
  EXPECT_TRUE(lpicing_test::exists(rev + "/files/css/shipped.css.gz"));

  std::string error;
  auto index = lpicing_test::load_index(rev + "/INDEX", &error);
  ASSERT_TRUE(index) << error;
  EXPECT_EQ(index->header().revision, "r1");
  EXPECT_EQ(index->header().deployed, kT0 + 100);
  EXPECT_EQ(index->header().sums_sha256_hex, to_hex(sha256_of(lpicing_test::sums_for(s))));
  EXPECT_EQ(index->find(".well-hidden"), nullptr);
  EXPECT_EQ(index->find("REVISION"), nullptr);
  EXPECT_EQ(index->find("css/app.css.br"), nullptr);
  ASSERT_NE(index->find("css/shipped.css.br"), nullptr);
  EXPECT_EQ(index->header().file_count, 6u);  // app.css app.js logo.png shipped.css(.br) a.woff2

  const IndexEntry* css = index->find("css/app.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->sha256, sha256_of(lpicing_test::css_text(50)));
  EXPECT_EQ(css->mtime, kT0);
  ASSERT_EQ(css->variants.size(), 2u);
  for (const Variant& v : css->variants) {
    std::string file = rev + "/files/css/app.css" + (v.encoding == Encoding::br ? ".br" : ".gz");
    std::string bytes = lpicing_test::slurp(file);
    EXPECT_EQ(v.size, bytes.size());
    EXPECT_EQ(v.sha256, sha256_of(bytes));
  }
  const IndexEntry* shipped = index->find("css/shipped.css");
  ASSERT_NE(shipped, nullptr);
  bool has_shipped_br = false;
  for (const Variant& v : shipped->variants)
    if (v.encoding == Encoding::br) has_shipped_br = v.sha256 == sha256_of("pretend brotli");
  EXPECT_TRUE(has_shipped_br);
  EXPECT_TRUE(index->find("fonts/a.woff2")->variants.empty());
  EXPECT_TRUE(index->find("js/app.js")->variants.empty());

  char target[256] = {};
  ASSERT_GT(readlink((store_ + "/current").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "revisions/r1");
  EXPECT_TRUE(lpicing_test::snapshot(store_ + "/staging").empty());
}

TEST_F(StoreTest, StoredFilesAreReadableByOthersWhateverTheUmask) {
  mode_t old = umask(077);
  StoreResult r = deploy(good());
  umask(old);
  ASSERT_EQ(outcome(r), Outcome::ok) << message(r);
  for (auto& [path, desc] : lpicing_test::snapshot(store_ + "/revisions/r1")) {
    struct stat st;
    ASSERT_EQ(lstat((store_ + "/revisions/r1" + path).c_str(), &st), 0);
    bool top = path.find('/', 1) == std::string::npos;  // INDEX, REVISION, SHA256SUMS: never linked
    EXPECT_EQ(st.st_mode & 07777, S_ISDIR(st.st_mode) ? 0755u : top ? 0644u : 0444u) << path;
  }
  struct stat st;
  ASSERT_EQ(lstat((store_ + "/revisions/r1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(StoreTest, GzipVariantIsDeterministicAndDecompresses) {
  ASSERT_EQ(outcome(deploy(good())), Outcome::ok);
  std::string gz = lpicing_test::slurp(store_ + "/revisions/r1/files/css/app.css.gz");
  ASSERT_GT(gz.size(), 10u);
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));  // gzip header mtime
  std::string out = lpweb_test::gzip_decode(gz);
  EXPECT_EQ(out, lpicing_test::css_text(50));
  EXPECT_EQ(*gzip_compress(lpicing_test::css_text(50)), gz);
}

TEST_F(StoreTest, VariantsCompressedInParallelHoldEachFilesOwnBytes) {
  BundleSpec s;
  s.revision = "r1";
  for (int i = 0; i < 24; ++i)
    s.files.push_back({"css/f" + std::to_string(i) + ".css", lpicing_test::css_text(20 + i)});
  ASSERT_EQ(outcome(deploy(s)), Outcome::ok);
  for (int i = 0; i < 24; ++i) {
    std::string file = store_ + "/revisions/r1/files/css/f" + std::to_string(i) + ".css";
    std::string text = lpicing_test::css_text(20 + i);
    EXPECT_EQ(lpweb_test::brotli_decode(lpicing_test::slurp(file + ".br")), text) << i;
    EXPECT_EQ(lpweb_test::gzip_decode(lpicing_test::slurp(file + ".gz")), text) << i;
  }
}

TEST_F(StoreTest, RedeployOfIdenticalRevisionChangesNothing) {
  ASSERT_EQ(outcome(deploy(good())), Outcome::ok);
  auto before = lpicing_test::snapshot(store_);
  StoreResult r = deploy(good());
  EXPECT_EQ(outcome(r), Outcome::ok) << message(r);
  EXPECT_TRUE(r->unchanged);
  EXPECT_EQ(lpicing_test::snapshot(store_), before);
}

TEST_F(StoreTest, NoActivateLeavesCurrentAlone) {
  DeployOptions o;
  o.activate = false;
  ASSERT_EQ(outcome(deploy(good(), o)), Outcome::ok);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r0");
  EXPECT_EQ(l.revisions.size(), 2u);
}

TEST_F(StoreTest, ActivateSetsPreviousAndRollsBack) {
  ASSERT_EQ(outcome(deploy(good())), Outcome::ok);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r1");
  EXPECT_EQ(l.previous, "r0");
  ASSERT_EQ(outcome(activate_revision(store_, "r0")), Outcome::ok);
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r0");
  EXPECT_EQ(l.previous, "r1");
  // Activating the current revision again keeps previous.
  ASSERT_EQ(outcome(activate_revision(store_, "r0")), Outcome::ok);
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.previous, "r1");
}

TEST_F(StoreTest, ActivationKilledAfterTheFlipIsFinishedByTheNextWriter) {
  ASSERT_EQ(outcome(deploy(good())), Outcome::ok);  // current r1, previous r0
  // What a kill between flipping current and renaming previous.pending leaves:
  // current already r0, previous still r0's, pending naming r1.
  ASSERT_EQ(::symlink("revisions/r1", (store_ + "/previous.pending").c_str()), 0);
  ASSERT_EQ(::unlink((store_ + "/current").c_str()), 0);
  ASSERT_EQ(::symlink("revisions/r0", (store_ + "/current").c_str()), 0);
  ASSERT_EQ(outcome(prune_store(store_, 100)), Outcome::ok);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r0");
  EXPECT_EQ(l.previous, "r1");
  EXPECT_FALSE(std::filesystem::is_symlink(store_ + "/previous.pending"));
}

TEST_F(StoreTest, ActivationKilledBeforeTheFlipKeepsPrevious) {
  ASSERT_EQ(outcome(deploy(good())), Outcome::ok);  // current r1, previous r0
  ASSERT_EQ(::symlink("revisions/r1", (store_ + "/previous.pending").c_str()), 0);
  ASSERT_EQ(outcome(prune_store(store_, 100)), Outcome::ok);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r1");
  EXPECT_EQ(l.previous, "r0");
  EXPECT_FALSE(std::filesystem::is_symlink(store_ + "/previous.pending"));
}

TEST_F(StoreTest, ActivateOfUnknownRevisionIsRejectedAndChangesNothing) {
  auto before = lpicing_test::snapshot(store_);
  StoreResult r = activate_revision(store_, "nope");
  EXPECT_EQ(outcome(r), Outcome::rejected);
  EXPECT_EQ(outcome(activate_revision(store_, "../x")), Outcome::rejected);
  EXPECT_EQ(lpicing_test::snapshot(store_), before);
}

TEST_F(StoreTest, FailureAtAnyDeployStepLeavesTheStoreUnchanged) {
  for (const char* fail_at : {"after-staging", "after-flush", "before-rename"}) {
    auto before = lpicing_test::snapshot(store_);
    DeployOptions o;
    o.on_step = [&](const char* step) {
      if (std::string(step) == fail_at) throw std::runtime_error("injected");
    };
    StoreResult r = deploy(good(), o);
    EXPECT_EQ(outcome(r), Outcome::store_error) << fail_at;
    EXPECT_EQ(lpicing_test::snapshot(store_), before) << fail_at;
  }
}

TEST_F(StoreTest, StepsRunInOrder) {
  std::vector<std::string> steps;
  DeployOptions o;
  o.keep = 1;
  o.now = kT0 + 10 * kPruneGraceSeconds;
  o.on_step = [&](const char* s) { steps.push_back(s); };
  ASSERT_EQ(outcome(deploy(good("r1"), o)), Outcome::ok);
  ASSERT_EQ(outcome(deploy(good("r2"), o)), Outcome::ok);
  std::vector<std::string> one = {"after-staging", "after-flush", "before-rename",
                                  "after-rename", "during-activate"};
  std::vector<std::string> expected = one;
  expected.push_back("during-adopt");  // r1's new files go to the pool; r2, the same files, adds none
  expected.insert(expected.end(), one.begin(), one.end());
  expected.push_back("during-prune");  // r0: neither newest, current nor previous
  expected.push_back("during-gc");     // its file, which no other revision has
  EXPECT_EQ(steps, expected);
}

TEST_F(StoreTest, NextWriterCleansLeftoversOfACrashedOne) {
  ASSERT_EQ(mkdir((store_ + "/staging/tmp.dead").c_str(), 0755), 0);
  lpicing_test::write_file(store_ + "/staging/tmp.dead/junk", "x");
  ASSERT_EQ(symlink("revisions/r0", (store_ + "/current.tmp.99999").c_str()), 0);
  ASSERT_EQ(outcome(deploy(good())), Outcome::ok);
  EXPECT_FALSE(lpicing_test::exists(store_ + "/staging/tmp.dead"));
  EXPECT_FALSE(lpicing_test::exists(store_ + "/current.tmp.99999"));
}

// A deploy killed after renaming its revision into place, before the flip,
// leaves "activating"; whichever writer comes next makes that revision current.
TEST_F(StoreTest, NextWriterFinishesAnActivationADeployBegan) {
  DeployOptions quiet;
  quiet.activate = false;
  ASSERT_EQ(outcome(deploy(good("r1"))), Outcome::ok);
  ASSERT_EQ(outcome(deploy(good("r2"), quiet)), Outcome::ok);
  ASSERT_EQ(symlink("revisions/r2", (store_ + "/activating").c_str()), 0);
  StoreResult pruned = prune_store(store_, 100);
  ASSERT_EQ(outcome(pruned), Outcome::ok) << message(pruned);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r2");
  EXPECT_EQ(l.previous, "r1");
  EXPECT_FALSE(lpicing_test::exists(store_ + "/activating"));
  // A marker naming a revision that never made it in is simply dropped.
  ASSERT_EQ(symlink("revisions/r9", (store_ + "/activating").c_str()), 0);
  ASSERT_EQ(outcome(prune_store(store_, 100)), Outcome::ok);
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r2");
  EXPECT_FALSE(lpicing_test::exists(store_ + "/activating"));
}

TEST(StoreRetention, KeepsNewestCurrentPreviousAndRecent) {
  const std::int64_t now = kT0 + 100000;
  std::vector<RevisionInfo> revs;
  auto add = [&](const char* r, std::int64_t deployed) {
    RevisionInfo i;
    i.revision = r;
    i.deployed = deployed;
    revs.push_back(i);
  };
  add("old1", kT0);
  add("old2", kT0 + 10);
  add("cur", kT0 + 20);
  add("prev", kT0 + 30);
  add("new1", kT0 + 40);
  add("new2", kT0 + 50);
  add("recent", now - kPruneGraceSeconds + 1);
  // keep 2: recent and new2 are newest; cur and prev pinned; new1 and the olds go.
  EXPECT_EQ(revisions_to_prune(revs, 2, "cur", "prev", now),
            (std::vector<std::string>{"new1", "old1", "old2"}));
  EXPECT_EQ(revisions_to_prune(revs, 100, "cur", "prev", now), std::vector<std::string>{});
  // Everything within the grace hour survives even keep 1.
  EXPECT_EQ(revisions_to_prune(revs, 1, "", "", kT0 + 50), std::vector<std::string>{});
  // Exactly one hour old is no longer protected; "recent" is newest and kept.
  EXPECT_EQ(revisions_to_prune(revs, 1, "", "", kT0 + 50 + kPruneGraceSeconds),
            (std::vector<std::string>{"cur", "new1", "new2", "old1", "old2", "prev"}));
}

TEST_F(StoreTest, PruneRemovesOnlyUnprotectedRevisions) {
  for (int i = 1; i <= 4; ++i) {
    DeployOptions o;
    o.now = kT0 + i * 100;
    ASSERT_EQ(outcome(deploy(good("r" + std::to_string(i)), o)), Outcome::ok);
  }
  ASSERT_EQ(outcome(activate_revision(store_, "r2")), Outcome::ok);  // current r2, previous r4
  StoreResult r = prune_store(store_, 1, kT0 + 10 * kPruneGraceSeconds);
  ASSERT_EQ(outcome(r), Outcome::ok) << message(r);
  EXPECT_EQ(r->pruned, (std::vector<std::string>{"r0", "r1", "r3"}));
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  std::set<std::string> left;
  for (auto& i : l.revisions) left.insert(i.revision);
  EXPECT_EQ(left, (std::set<std::string>{"r2", "r4"}));
  EXPECT_TRUE(lpicing_test::snapshot(store_ + "/staging").empty());
}

TEST_F(StoreTest, ListReportsDeployTimeCountsAndDigest) {
  DeployOptions o;
  o.now = kT0 + 5;
  ASSERT_EQ(outcome(deploy(good(), o)), Outcome::ok);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  ASSERT_EQ(l.revisions.size(), 2u);
  EXPECT_EQ(l.revisions[0].revision, "r1");  // newest first
  EXPECT_EQ(l.revisions[0].header.deployed, kT0 + 5);
  EXPECT_EQ(l.revisions[0].header.file_count, 3u);
  EXPECT_EQ(l.revisions[0].header.total_bytes,
            lpicing_test::css_text(50).size() + std::string("console.log('hello');\n").size() + 300);
  EXPECT_EQ(l.revisions[0].header.sums_sha256_hex, to_hex(sha256_of(lpicing_test::sums_for(good()))));
}

TEST_F(StoreTest, IngestDeploysGoodRejectsBadAndSkipsPartialFiles) {
  std::string in = tmp_ / "incoming";
  ASSERT_EQ(mkdir(in.c_str(), 0755), 0);
  lpicing_test::write_bundle(in + "/good.tar.gz", good("r7"));
  BundleSpec bad = good("r8");
  bad.after = {{TarEntry::file, "../evil", "x", 0, kT0, ""}};
  lpicing_test::write_bundle(in + "/bad.tar.gz", bad);
  lpicing_test::write_bundle(in + "/later.tar.gz.part", good("r9"));
  lpicing_test::write_bundle(in + "/.hidden.tar.gz", good("r10"));
  std::vector<std::string> log;
  IngestOptions o;
  o.incoming_dir = in;
  o.store_dir = store_;
  IngestReport report = ingest_incoming(o, [&](const std::string& l) { log.push_back(l); });
  EXPECT_EQ(outcome(report.outcome), Outcome::rejected);
  ASSERT_FALSE(report.outcome.ok());
  EXPECT_EQ(report.outcome.error().entry, "bad.tar.gz") << "the outcome names the bundle, its message the entry at fault";
  EXPECT_NE(report.outcome.error().message.find("\"../evil\""), std::string::npos) << report.outcome.error().message;
  EXPECT_EQ(report.deployed, std::vector<std::string>{"good.tar.gz"});
  EXPECT_EQ(report.rejected, std::vector<std::string>{"bad.tar.gz"});
  EXPECT_FALSE(lpicing_test::exists(in + "/good.tar.gz"));
  EXPECT_FALSE(lpicing_test::exists(in + "/bad.tar.gz"));
  EXPECT_TRUE(lpicing_test::exists(in + "/rejected/bad.tar.gz"));
  std::string reason = lpicing_test::slurp(in + "/rejected/bad.tar.gz.reason");
  EXPECT_EQ(reason, "entry \"../evil\": name has a '..' component\n");
  EXPECT_TRUE(lpicing_test::exists(in + "/later.tar.gz.part"));
  EXPECT_TRUE(lpicing_test::exists(in + "/.hidden.tar.gz"));
  bool said = false;
  for (auto& l : log) said |= l.rfind("rejected bundle \"bad.tar.gz\": entry \"../evil\"", 0) == 0;
  EXPECT_TRUE(said);
  // Every outcome is in the store's drop journal, for the watcher to log once.
  std::vector<DropRecord> records = read_drop_records(store_, 0);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].result, DropResult::deployed);  // oldest first: good.tar.gz was written first
  EXPECT_EQ(records[0].bundle, "good.tar.gz");
  EXPECT_EQ(records[0].revision, "r7");
  EXPECT_EQ(records[1].result, DropResult::rejected);
  EXPECT_EQ(records[1].bundle, "bad.tar.gz");
  EXPECT_EQ(records[1].seq, 2u);
  EXPECT_EQ(read_drop_state(store_).last_seq, 2u);
  StoreReport l;
  std::string error;
  l = read_store_report(store_);
  ASSERT_FALSE(l.listing_failed);
  EXPECT_EQ(l.current, "r7");
  // Nothing left to do: a second run is a no-op.
  report = ingest_incoming(o, [&](const std::string&) {});
  EXPECT_EQ(outcome(report.outcome), Outcome::ok);
  EXPECT_TRUE(report.deployed.empty());
}

TEST(Pack, RoundTripsThroughVerifyAndDeploy) {
  TempDir tmp;
  std::string src = tmp / "src";
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((src + "/css").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((src + "/empty").c_str(), 0755), 0);
  lpicing_test::write_file(src + "/css/app.css", lpicing_test::css_text(30));
  lpicing_test::write_file(src + "/index.html", "<!doctype html>\n");
  lpicing_test::write_file(src + "/caf\xc3\xa9.txt", "utf-8 name\n");
  auto key = lpicing_test::make_ed25519_key();
  PackOptions p;
  p.source_dir = src;
  p.revision = "v2.0";
  p.private_key_pem = key.private_pem;
  p.output = tmp / "out.tar.gz";
  ASSERT_TRUE(pack_bundle(p).ok());
  BundleOptions o;
  o.trusted_key_pem = key.public_pem;
  Bundle b;
  auto e = lpicing_test::read_into(p.output, o, &b);
  ASSERT_FALSE(e) << e->what();
  EXPECT_EQ(b.revision, "v2.0");
  EXPECT_TRUE(b.signature_verified);
  ASSERT_EQ(b.files.size(), 3u);
  EXPECT_EQ(b.files[0].path, "caf\xc3\xa9.txt");
  EXPECT_EQ(b.directories.size(), 2u);
  // Same input, same bytes.
  std::string first = lpicing_test::slurp(p.output);
  ASSERT_TRUE(pack_bundle(p).ok());
  EXPECT_EQ(lpicing_test::slurp(p.output), first);
  DeployOptions d;
  d.bundle = o;
  StoreResult r = deploy_bundle(tmp / "store", p.output, d);
  ASSERT_EQ(outcome(r), Outcome::ok) << message(r);
  EXPECT_TRUE(lpicing_test::exists(tmp / "store/revisions/v2.0/files/empty"));
  EXPECT_TRUE(lpicing_test::exists(tmp / "store/revisions/v2.0/SHA256SUMS.sig"));
}

TEST(Pack, RefusesSymlinksInTheSourceDirectory) {
  TempDir tmp;
  std::string src = tmp / "src";
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(symlink("/etc/passwd", (src + "/passwd").c_str()), 0);
  PackOptions p;
  p.source_dir = src;
  p.revision = "r1";
  p.output = tmp / "out.tar.gz";
  lpweb::Status e = pack_bundle(p);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("\"passwd\" is a symbolic link"), std::string::npos) << e.error().message;
  EXPECT_FALSE(lpicing_test::exists(p.output));
  EXPECT_FALSE(lpicing_test::exists(p.output + ".part"));
}

}  // namespace
}  // namespace lpicing
