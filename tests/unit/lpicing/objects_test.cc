// Tests of incremental deploys: the store's object pool (objects.h). A file or
// variant the store already holds is linked, not written or computed again;
// a lying SHA256SUMS never reaches a stored copy; prune keeps every byte a
// kept revision links and collects the rest, also what a killed prune left.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "crypto.h"
#include "index.h"
#include "lpicing_test_util.h"
#include "objects.h"
#include "precompress.h"
#include "store.h"

namespace lpicing {
namespace {

using lpicing_test::BundleSpec;
using lpicing_test::message;
using lpicing_test::Outcome;
using lpicing_test::outcome;
using lpicing_test::TarEntry;
using lpicing_test::TempDir;

constexpr std::int64_t kT0 = 1700000000;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

BundleSpec spec(const std::string& revision, std::vector<std::pair<std::string, std::string>> files) {
  BundleSpec s;
  s.revision = revision;
  s.files = std::move(files);
  return s;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = tmp_ / "store"; }

  StoreResult deploy(const BundleSpec& spec, DeployOptions options = {}) {
    std::string path = tmp_ / ("bundle" + std::to_string(counter_++) + ".tar");
    lpicing_test::write_bundle(path, spec);
    if (!options.now) options.now = kT0;
    return deploy_bundle(store_, path, options);
  }
  std::string file(const std::string& revision, const std::string& path) const {
    return store_ + "/revisions/" + revision + "/files/" + path;
  }
  std::string object(const std::string& content) const { return store_ + "/" + object_relative_path(sha256_of(content)); }
  std::string object(const std::string& content, VariantKind kind) const {
    return store_ + "/" + object_relative_path(sha256_of(content), kind);
  }
  // Every file a revision's INDEX lists has the bytes it says, variants included.
  void expect_revision_whole(const std::string& revision) {
    std::string error;
    auto index = lpicing_test::load_index(store_ + "/revisions/" + revision + "/INDEX", &error);
    ASSERT_TRUE(index) << error;
    for (const IndexEntry& e : index->entries()) {
      EXPECT_EQ(to_hex(sha256_of(lpicing_test::slurp(file(revision, e.path)))), to_hex(e.sha256)) << e.path;
      for (const Variant& v : e.variants) {
        std::string p = file(revision, e.path + (v.encoding == Encoding::br ? ".br" : ".gz"));
        EXPECT_EQ(to_hex(sha256_of(lpicing_test::slurp(p))), to_hex(v.sha256)) << p;
      }
    }
  }

  TempDir tmp_;
  std::string store_;
  int counter_ = 0;
  const std::string css_ = lpicing_test::css_text(60);
  const std::string js_ = "/* app */\n" + lpicing_test::css_text(40);
  const std::string png_ = random_bytes(3000, 1);
};

TEST_F(ObjectsTest, UnchangedFilesAreLinkedNotWrittenAndTheirVariantsNotComputed) {
  BundleSpec a = spec("r1", {{"css/app.css", css_}, {"js/app.js", js_}, {"img/logo.png", png_}});
  StoreResult r1 = deploy(a);
  ASSERT_EQ(outcome(r1), Outcome::ok) << message(r1);
  EXPECT_EQ(r1->reuse.files_reused, 0u);
  EXPECT_EQ(r1->reuse.files_written, 3u);
  EXPECT_EQ(r1->reuse.bytes_written, css_.size() + js_.size() + png_.size());
  EXPECT_EQ(r1->reuse.variants_computed, 4u);  // br and gz of the css and the js

  BundleSpec b = a;
  b.revision = "r2";
  b.files[0].second = css_ + ".new { color: blue }\n";
  StoreResult r2 = deploy(b);
  ASSERT_EQ(outcome(r2), Outcome::ok) << message(r2);
  EXPECT_EQ(r2->reuse.files_reused, 2u);
  EXPECT_EQ(r2->reuse.bytes_reused, js_.size() + png_.size());
  EXPECT_EQ(r2->reuse.files_written, 1u);
  EXPECT_EQ(r2->reuse.bytes_written, b.files[0].second.size());
  EXPECT_EQ(r2->reuse.variants_reused, 2u);
  EXPECT_EQ(r2->reuse.variants_computed, 2u);
  // The same inodes: one copy on disk, whatever the number of revisions.
  for (const char* p : {"js/app.js", "js/app.js.br", "js/app.js.gz", "img/logo.png"})
    EXPECT_EQ(stat_of(file("r1", p)).st_ino, stat_of(file("r2", p)).st_ino) << p;
  EXPECT_NE(stat_of(file("r1", "css/app.css")).st_ino, stat_of(file("r2", "css/app.css")).st_ino);
  EXPECT_EQ(stat_of(file("r2", "js/app.js")).st_ino, stat_of(object(js_)).st_ino);
  EXPECT_EQ(stat_of(file("r2", "js/app.js.br")).st_ino, stat_of(object(js_, VariantKind::br_text)).st_ino);
  expect_revision_whole("r1");
  expect_revision_whole("r2");
  std::string said = describe_reuse(r2->reuse);
  EXPECT_EQ(said.rfind("3 files: 2 reused (", 0), 0u) << said;
  EXPECT_NE(said.find(" KiB), 1 written ("), std::string::npos) << said;
  EXPECT_NE(said.find(" KiB); variants: 2 reused, 2 computed"), std::string::npos) << said;
}

TEST_F(ObjectsTest, StoredFilesAreReadOnlyAndAReusedOneIsNeverTouched) {
  ASSERT_EQ(outcome(deploy(spec("r1", {{"js/app.js", js_}}))), Outcome::ok);
  struct stat before = stat_of(file("r1", "js/app.js"));
  EXPECT_EQ(before.st_mode & 07777, 0444u);
  EXPECT_EQ(before.st_mtime, kT0);
  BundleSpec later = spec("r2", {{"js/app.js", js_}});
  later.mtime = kT0 + 5000;  // rebuilt: same bytes, a newer time
  ASSERT_EQ(outcome(deploy(later)), Outcome::ok);
  struct stat after = stat_of(file("r1", "js/app.js"));
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtime, before.st_mtime) << "a reused inode is shared: never touched";
  EXPECT_EQ(after.st_mode & 07777, 0444u);
  // The time served (Last-Modified) is each revision's own, from its INDEX.
  std::string error;
  auto index = lpicing_test::load_index(store_ + "/revisions/r2/INDEX", &error);
  ASSERT_TRUE(index) << error;
  EXPECT_EQ(index->find("js/app.js")->mtime, kT0 + 5000);
}

TEST_F(ObjectsTest, AVariantDependsOnTheBytesAndItsModeNotThePath) {
  ASSERT_EQ(outcome(deploy(spec("r1", {{"a/app.css", css_}}))), Outcome::ok);
  // The same bytes under another name and as a font: gzip is shared, brotli's font mode is its own.
  StoreResult r2 = deploy(spec("r2", {{"b/moved.css", css_}, {"fonts/same.ttf", css_}}));
  ASSERT_EQ(outcome(r2), Outcome::ok) << message(r2);
  EXPECT_EQ(r2->reuse.variants_reused, 3u);    // moved.css br and gz, same.ttf gz
  EXPECT_EQ(r2->reuse.variants_computed, 1u);  // same.ttf br, in font mode
  EXPECT_EQ(stat_of(file("r2", "b/moved.css.br")).st_ino, stat_of(file("r1", "a/app.css.br")).st_ino);
  EXPECT_EQ(stat_of(file("r2", "fonts/same.ttf.gz")).st_ino, stat_of(file("r1", "a/app.css.gz")).st_ino);
  EXPECT_EQ(lpicing_test::slurp(file("r2", "fonts/same.ttf.br")), *brotli_compress(css_, true));
  EXPECT_EQ(lpicing_test::slurp(file("r2", "b/moved.css.br")), *brotli_compress(css_, false));
  expect_revision_whole("r2");
}

TEST_F(ObjectsTest, AVariantNotWorthKeepingIsNotComputedAgain) {
  const std::string noise = random_bytes(4000, 7);  // named .css, but nothing to compress
  std::vector<std::size_t> totals;
  DeployOptions o;
  o.bundle.on_progress = [&](const DeployProgress& p) {
    if (p.phase == DeployProgress::Phase::precompressing && p.done == 0) totals.push_back(p.total);
  };
  StoreResult r1 = deploy(spec("r1", {{"noise.css", noise}}), o);
  ASSERT_EQ(outcome(r1), Outcome::ok) << message(r1);
  EXPECT_EQ(totals, std::vector<std::size_t>{1});
  EXPECT_FALSE(lpicing_test::exists(file("r1", "noise.css.br")));
  EXPECT_TRUE(lpicing_test::exists(object(noise, VariantKind::br_text) + ".none"));
  totals.clear();
  StoreResult r2 = deploy(spec("r2", {{"again/noise.css", noise}}), o);
  ASSERT_EQ(outcome(r2), Outcome::ok) << message(r2);
  EXPECT_EQ(totals, std::vector<std::size_t>{}) << "nothing left to compress";
  EXPECT_FALSE(lpicing_test::exists(file("r2", "again/noise.css.br")));
}

TEST_F(ObjectsTest, ALyingSha256sumsNeverReachesAStoredCopy) {
  ASSERT_EQ(outcome(deploy(spec("r1", {{"js/app.js", js_}}))), Outcome::ok);
  auto before = lpicing_test::snapshot(store_);
  // SHA256SUMS names the stored copy's digest for other bytes: the link made
  // before the data is read must not survive it.
  BundleSpec liar = spec("r2", {{"js/app.js", std::string(js_.size(), 'x')}});
  liar.unlisted = {"js/app.js"};
  liar.extra_sums = lpicing_test::sums_line(js_, "js/app.js");
  StoreResult r = deploy(liar);
  ASSERT_EQ(outcome(r), Outcome::rejected) << message(r);
  EXPECT_EQ(r.error().entry, "js/app.js");
  EXPECT_NE(r.error().message.find("checksum mismatch"), std::string::npos) << r.error().message;
  EXPECT_EQ(lpicing_test::snapshot(store_), before);
  EXPECT_EQ(lpicing_test::slurp(file("r1", "js/app.js")), js_);
  EXPECT_EQ(stat_of(object(js_)).st_nlink, 2u) << "the failed deploy's link is gone with its staging";
}

TEST_F(ObjectsTest, ABundleListingItsSumsLastIsDedupedAfterReading) {
  ASSERT_EQ(outcome(deploy(spec("r1", {{"js/app.js", js_}, {"img/logo.png", png_}}))), Outcome::ok);
  // By hand with tar: the files first, SHA256SUMS last.
  BundleSpec s = spec("r2", {{"js/app.js", js_}, {"img/logo.png", png_}});
  std::vector<TarEntry> entries = {{TarEntry::file, "REVISION", "r2\n", 0, kT0, ""},
                                   {TarEntry::file, "js/app.js", js_, 0, kT0, ""},
                                   {TarEntry::file, "img/logo.png", png_, 0, kT0, ""},
                                   {TarEntry::file, "SHA256SUMS", lpicing_test::sums_for(s), 0, kT0, ""}};
  std::string path = tmp_ / "by-hand.tar";
  lpicing_test::write_tar(path, entries);
  DeployOptions o;
  o.now = kT0;
  StoreResult r2 = deploy_bundle(store_, path, o);
  ASSERT_EQ(outcome(r2), Outcome::ok) << message(r2);
  EXPECT_EQ(r2->reuse.files_reused, 2u);
  EXPECT_EQ(r2->reuse.variants_computed, 0u);
  EXPECT_EQ(stat_of(file("r2", "js/app.js")).st_ino, stat_of(file("r1", "js/app.js")).st_ino);
  EXPECT_EQ(stat_of(file("r2", "img/logo.png")).st_ino, stat_of(file("r1", "img/logo.png")).st_ino);
  expect_revision_whole("r2");
}

TEST_F(ObjectsTest, PruneKeepsEveryByteAKeptRevisionLinksAndCollectsTheRest) {
  const std::string only_r1 = lpicing_test::css_text(70), only_r2 = lpicing_test::css_text(80);
  DeployOptions early;
  early.now = kT0;
  ASSERT_EQ(outcome(deploy(spec("r1", {{"shared.js", js_}, {"gone.css", only_r1}}), early)), Outcome::ok);
  DeployOptions later;
  later.now = kT0 + 100;
  ASSERT_EQ(outcome(deploy(spec("r2", {{"shared.js", js_}, {"new.css", only_r2}}), later)), Outcome::ok);
  BundleSpec r3 = spec("r3", {{"shared.js", js_}, {"new.css", only_r2}, {"x.txt", "x\n"}});
  ASSERT_EQ(outcome(deploy(r3, later)), Outcome::ok);
  StoreResult pruned = prune_store(store_, 1, kT0 + 10 * kPruneGraceSeconds);
  ASSERT_EQ(outcome(pruned), Outcome::ok) << message(pruned);
  EXPECT_EQ(pruned->pruned, std::vector<std::string>{"r1"});
  expect_revision_whole("r2");
  expect_revision_whole("r3");
  EXPECT_EQ(lpicing_test::slurp(file("r3", "shared.js")), js_);
  EXPECT_EQ(stat_of(object(js_)).st_nlink, 3u);  // the pool's name, r2's and r3's
  EXPECT_TRUE(lpicing_test::exists(object(js_, VariantKind::br_text)));
  EXPECT_FALSE(lpicing_test::exists(object(only_r1)));
  EXPECT_FALSE(lpicing_test::exists(object(only_r1, VariantKind::br_text)));
  EXPECT_FALSE(lpicing_test::exists(object(only_r1, VariantKind::gzip)));
  EXPECT_EQ(stat_of(object(only_r2)).st_nlink, 3u);
}

TEST_F(ObjectsTest, UnlinkedObjectsAKilledRunLeftAreReusedOrCollected) {
  ASSERT_EQ(outcome(deploy(spec("r1", {{"js/app.js", js_}}))), Outcome::ok);
  // What a prune killed between removing a revision and collecting leaves:
  // objects (and marks) no revision links, plus a variant whose object is gone.
  const std::string orphan = lpicing_test::css_text(90), kept = lpicing_test::css_text(95);
  auto write_object = [](const std::string& p, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    lpicing_test::write_file(p, content);
  };
  for (const std::string* c : {&orphan, &kept}) {
    std::string p = object(*c);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    lpicing_test::write_file(p, *c);
    chmod(p.c_str(), 0444);
  }
  write_object(object(orphan, VariantKind::br_text) + ".none", "");
  write_object(object(random_bytes(10, 3), VariantKind::gzip), "stray");
  // A deploy first: the leftover with the right bytes is as good as any.
  StoreResult r2 = deploy(spec("r2", {{"js/app.js", js_}, {"kept.css", kept}}));
  ASSERT_EQ(outcome(r2), Outcome::ok) << message(r2);
  EXPECT_EQ(r2->reuse.files_reused, 2u);
  EXPECT_EQ(stat_of(file("r2", "kept.css")).st_ino, stat_of(object(kept)).st_ino);
  // A prune that removes no revision leaves the pool alone ...
  StoreResult p = prune_store(store_, 10, kT0);
  ASSERT_EQ(outcome(p), Outcome::ok) << message(p);
  EXPECT_TRUE(lpicing_test::exists(object(orphan)));
  // ... unless a prune was killed before collecting, which its mark says.
  lpicing_test::write_file(store_ + "/objects.gc-pending", "");
  p = prune_store(store_, 10, kT0);
  ASSERT_EQ(outcome(p), Outcome::ok) << message(p);
  EXPECT_TRUE(p->pruned.empty());
  EXPECT_FALSE(lpicing_test::exists(object(orphan)));
  EXPECT_FALSE(lpicing_test::exists(object(orphan, VariantKind::br_text) + ".none"));
  EXPECT_FALSE(lpicing_test::exists(object(random_bytes(10, 3), VariantKind::gzip)));
  EXPECT_TRUE(lpicing_test::exists(object(kept)));
  EXPECT_TRUE(lpicing_test::exists(object(js_, VariantKind::gzip)));
  EXPECT_FALSE(lpicing_test::exists(store_ + "/objects.gc-pending"));
  expect_revision_whole("r1");
  expect_revision_whole("r2");
}

TEST_F(ObjectsTest, AStoredCopyOfAnotherSizeIsNotReused) {
  ASSERT_EQ(outcome(deploy(spec("r1", {{"js/app.js", js_}}))), Outcome::ok);
  // A damaged pool entry (truncated by hand): never linked into a new revision.
  std::string p = object(js_);
  ASSERT_EQ(chmod(p.c_str(), 0644), 0);
  ASSERT_EQ(truncate(p.c_str(), 10), 0);
  StoreResult r2 = deploy(spec("r2", {{"js/app.js", js_}}));
  ASSERT_EQ(outcome(r2), Outcome::ok) << message(r2);
  EXPECT_EQ(r2->reuse.files_reused, 0u);
  EXPECT_EQ(lpicing_test::slurp(file("r2", "js/app.js")), js_);
}

TEST_F(ObjectsTest, EarlySha256sumsListingTooManyFilesIsRefusedBeforeAnyFileIsRead) {
  BundleSpec s = spec("r1", {});
  for (int i = 0; i < 30; ++i) s.files.push_back({"f" + std::to_string(i) + ".txt", std::to_string(i)});
  std::uint64_t most_entries = 0;
  DeployOptions o;
  o.bundle.limits.max_entries = 20;
  o.bundle.on_progress = [&](const DeployProgress& p) { most_entries = std::max(most_entries, p.entries); };
  StoreResult r = deploy(s, o);
  ASSERT_EQ(outcome(r), Outcome::rejected) << message(r);
  EXPECT_EQ(r.error().entry, "SHA256SUMS");
  EXPECT_EQ(r.error().message, "lists 31 files: the bundle has more than 20 entries (limit --max-entries)");
  EXPECT_EQ(most_entries, 2u) << "REVISION and SHA256SUMS only";
}

}  // namespace
}  // namespace lpicing
