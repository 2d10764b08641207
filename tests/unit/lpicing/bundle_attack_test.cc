// Bundles built to attack the store, beyond the one-entry classes of store_test and
// tool_reject_test: links planted across two bundles, a directory and a link of one
// name, hard links carrying data, names that differ only in case or Unicode form, the
// default entry limit at 100,000 entries, and names at the length limits.
#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "index.h"
#include "lpicing_test_util.h"
#include "serve.h"
#include "store.h"

namespace lpicing {
namespace {

using lpicing_test::BundleSpec;
using lpicing_test::message;
using lpicing_test::Outcome;
using lpicing_test::outcome;
using lpicing_test::Filter;
using lpicing_test::TarEntry;
using lpicing_test::TempDir;
using lpicing_test::ToolRun;
using lpicing_test::run_tool;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kT0 = 1700000000;

bool is_dir_not_link(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_regular_not_link(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// ---- hand-made tar blocks ------------------------------------------------------
// libarchive's writer drops the body of a hard-link entry, so archives whose hard
// links carry data are assembled from ustar blocks here.

std::string ustar_block(const std::string& name, char type, const std::string& data, const std::string& link) {
  std::string h(512, '\0');
  auto put = [&](std::size_t at, const std::string& s) { std::memcpy(&h[at], s.data(), s.size()); };
  auto octal = [&](std::size_t at, int width, unsigned long value) {
    char b[32];
    snprintf(b, sizeof b, "%0*lo", width - 1, value);
    put(at, b);
  };
  put(0, name);
  octal(100, 8, 0644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, data.size());
  octal(136, 12, kT0);
  h[156] = type;
  put(157, link);
  put(257, std::string("ustar\0", 6));
  put(263, "00");
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char b[8];
  snprintf(b, sizeof b, "%06o", sum);
  std::memcpy(&h[148], b, 7);
  std::string out = h + data;
  out.resize((out.size() + 511) / 512 * 512, '\0');
  return out;
}

// A pax extended header ("x"), one record: "<len> key=value\n".
std::string pax_block(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  std::size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  return ustar_block("PaxHeader/entry", 'x', std::to_string(len) + body, "");
}

// REVISION and a SHA256SUMS listing `files` (and REVISION), then `files`, then `tail`.
std::string hand_made_bundle(const std::string& revision,
                             const std::vector<std::pair<std::string, std::string>>& files,
                             const std::string& tail) {
  std::string sums = lpicing_test::sums_line(revision + "\n", "REVISION");
  for (auto& [p, c] : files) sums += lpicing_test::sums_line(c, p);
  std::string tar = ustar_block("REVISION", '0', revision + "\n", "") + ustar_block("SHA256SUMS", '0', sums, "");
  for (auto& [p, c] : files) tar += ustar_block(p, '0', c, "");
  return tar + tail + std::string(1024, '\0');
}

// What libarchive's reader makes of the entry `name` in the archive at `path`:
// its hard-link target and the bytes it delivers as the entry's data.
std::pair<std::string, std::string> read_back(const std::string& path, const std::string& name) {
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  std::pair<std::string, std::string> out;
  if (archive_read_open_filename(a, path.c_str(), 10240) == ARCHIVE_OK) {
    struct archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      if (name != archive_entry_pathname(e)) continue;
      if (archive_entry_hardlink(e)) out.first = archive_entry_hardlink(e);
      char buf[4096];
      for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) out.second.append(buf, static_cast<std::size_t>(n));
      break;
    }
  }
  archive_read_free(a);
  return out;
}

// ---- fixture ------------------------------------------------------------------------

class BundleAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = tmp_ / "store";
    outside_ = tmp_ / "outside";
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    // A store holding a current revision, so "unchanged" means something.
    BundleSpec base;
    base.revision = "r0";
    base.files = {{"css/app.css", lpicing_test::css_text(5)}};
    ASSERT_EQ(outcome(deploy(base)), Outcome::ok);
  }

  StoreResult deploy(const BundleSpec& spec, DeployOptions options = {}) {
    std::string path = tmp_ / ("bundle" + std::to_string(counter_++) + ".tar");
    lpicing_test::write_bundle(path, spec);
    return deploy_bundle(store_, path, options);
  }

  StoreResult deploy_bytes(const std::string& tar) {
    std::string path = tmp_ / ("bundle" + std::to_string(counter_++) + ".tar");
    lpicing_test::write_file(path, tar);
    return deploy_bundle(store_, path, {});
  }

  // Rejected naming `entry` for `reason`; the store, staging and outside untouched.
  void expect_rejected(const StoreResult& r, const std::map<std::string, std::string>& before,
                       const std::string& entry, const std::string& reason) {
    EXPECT_EQ(outcome(r), Outcome::rejected) << message(r);
    ASSERT_FALSE(r.ok()) << message(r);
    EXPECT_EQ(r.error().entry, entry) << message(r);
    EXPECT_NE(message(r).find(reason), std::string::npos) << message(r);
    EXPECT_EQ(lpicing_test::snapshot(store_), before);
    EXPECT_TRUE(lpicing_test::snapshot(store_ + "/staging").empty());
    EXPECT_TRUE(lpicing_test::snapshot(outside_).empty());
  }

  std::string files_of(const std::string& rev) { return store_ + "/revisions/" + rev + "/files/"; }

  TempDir tmp_;
  std::string store_, outside_;
  int counter_ = 0;
};

// ---- links ------------------------------------------------------------------------------

// Bundle N plants a link; bundle N+1 (same revision id, as a retry would use) ships a
// file below the link's name. The second must be a real file inside its revision.
TEST_F(BundleAttack, LinkInOneBundleThenAFileThroughItInTheNext) {
  const std::vector<std::string> targets = {outside_, "../../../../outside", "../../../../../.." + outside_};
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::string& target = targets[i];
    SCOPED_TRACE(target);
    std::string rev = "n" + std::to_string(i);
    BundleSpec n;
    n.revision = rev;
    n.files = {{"css/app.css", lpicing_test::css_text(3)}};
    n.after = {{TarEntry::symlink, "escape", "", 0, kT0, target}};
    lpicing_test::write_bundle(tmp_ / "n.tar", n);
    auto before = lpicing_test::snapshot(store_);
    ToolRun first = run_tool({"deploy", tmp_ / "n.tar", "--store", store_});
    EXPECT_EQ(first.exit_code, 2) << first.err;
    EXPECT_NE(first.err.find("entry \"escape\": symbolic links are not allowed"), std::string::npos) << first.err;
    EXPECT_EQ(lpicing_test::snapshot(store_), before);

    BundleSpec next;
    next.revision = rev;
    next.files = {{"css/app.css", lpicing_test::css_text(3)}, {"escape/owned.txt", "written inside\n"}};
    lpicing_test::write_bundle(tmp_ / "next.tar", next);
    ToolRun second = run_tool({"deploy", tmp_ / "next.tar", "--store", store_});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_TRUE(is_dir_not_link(files_of(rev) + "escape"));
    EXPECT_TRUE(is_regular_not_link(files_of(rev) + "escape/owned.txt"));
    EXPECT_EQ(lpicing_test::slurp(files_of(rev) + "escape/owned.txt"), "written inside\n");
    EXPECT_TRUE(lpicing_test::snapshot(outside_).empty());
    EXPECT_TRUE(lpicing_test::snapshot(store_ + "/staging").empty());
  }
}

TEST_F(BundleAttack, DirectoryThenLinkOfTheSameNameIsRejected) {
  for (std::string link_name : {"assets", "assets/"}) {
    SCOPED_TRACE(link_name);
    BundleSpec s;
    s.revision = "r1";
    s.files = {{"css/app.css", lpicing_test::css_text(3)}};
    s.after = {{TarEntry::dir, "assets/", "", 0, kT0, ""},
               {TarEntry::file, "assets/a.css", "a", 0, kT0, ""},
               {TarEntry::symlink, link_name, "", 0, kT0, outside_},
               {TarEntry::file, "assets/owned.css", "pwned", 0, kT0, ""}};
    s.extra_sums = lpicing_test::sums_line("a", "assets/a.css") + lpicing_test::sums_line("pwned", "assets/owned.css");
    auto before = lpicing_test::snapshot(store_);
    expect_rejected(deploy(s), before, link_name, "symbolic links are not allowed");
  }
}

TEST_F(BundleAttack, LinkThenDirectoryOfTheSameNameIsRejected) {
  BundleSpec s;
  s.revision = "r1";
  s.files = {{"css/app.css", lpicing_test::css_text(3)}};
  s.after = {{TarEntry::symlink, "assets", "", 0, kT0, outside_},
             {TarEntry::dir, "assets/", "", 0, kT0, ""},
             {TarEntry::file, "assets/owned.css", "pwned", 0, kT0, ""}};
  s.extra_sums = lpicing_test::sums_line("pwned", "assets/owned.css");
  auto before = lpicing_test::snapshot(store_);
  expect_rejected(deploy(s), before, "assets", "symbolic links are not allowed");
}

// A pax archive may give a hard link a body (libarchive reads it); the entry is still a link.
TEST_F(BundleAttack, HardLinkCarryingDataIsRejected) {
  std::string css = lpicing_test::css_text(3);
  for (std::string link : {std::string("css/app.css"), std::string("/etc/passwd"), std::string("../outside/owned")}) {
    SCOPED_TRACE(link);
    std::string tail = pax_block("path", "css/copy.css") + ustar_block("css/copy.css", '1', "pwned by a link\n", link);
    std::string path = tmp_ / "hardlink.tar";
    lpicing_test::write_file(path, hand_made_bundle("r1", {{"css/app.css", css}}, tail));
    // The archive really carries the data under a link entry.
    auto [target, data] = read_back(path, "css/copy.css");
    ASSERT_EQ(target, link);
    ASSERT_EQ(data, "pwned by a link\n");
    auto before = lpicing_test::snapshot(store_);
    expect_rejected(deploy_bundle(store_, path, {}), before, "css/copy.css", "hard links are not allowed");
    ToolRun verify = run_tool({"verify", path});
    EXPECT_EQ(verify.exit_code, 2) << verify.err;
    EXPECT_NE(verify.err.find("hard links are not allowed"), std::string::npos) << verify.err;
  }
}

// Plain ustar readers disagree on a hard link's size field: libarchive ignores it and
// reads the "data" as the next header. Here that data is a header for a file outside.
TEST_F(BundleAttack, HardLinkWhoseDataIsAHiddenHeaderIsRejected) {
  std::string hidden = ustar_block("../outside/owned.txt", '0', "pwned\n", "");
  std::string tail = ustar_block("css/copy.css", '1', hidden, "css/app.css");
  auto before = lpicing_test::snapshot(store_);
  StoreResult r = deploy_bytes(hand_made_bundle("r1", {{"css/app.css", lpicing_test::css_text(3)}}, tail));
  expect_rejected(r, before, "css/copy.css", "hard links are not allowed");
  EXPECT_FALSE(lpicing_test::exists(tmp_ / "outside/owned.txt"));
}

// ---- names that look alike ----------------------------------------------------------------

TEST_F(BundleAttack, NamesDifferingOnlyInCaseOrUnicodeFormAreEachTheirOwnFile) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"A.css", "upper A\n"},
      {"a.css", "lower a\n"},
      {"img/Logo.PNG", "upper logo\n"},
      {"img/logo.png", "lower logo\n"},
      {"caf\xc3\xa9.css", "NFC e-acute\n"},    // U+00E9
      {"cafe\xcc\x81.css", "NFD e + U+0301\n"},  // e, combining acute
      {"\xc3\xa9t\xc3\xa9/x.css", "NFC dir\n"},
      {"e\xcc\x81te\xcc\x81/x.css", "NFD dir\n"},
  };
  BundleSpec s;
  s.revision = "r1";
  s.files = files;
  lpicing_test::write_bundle(tmp_ / "alike.tar", s);
  ToolRun r = run_tool({"deploy", tmp_ / "alike.tar", "--store", store_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  IndexCache cache;
  for (auto& [path, content] : files) {
    SCOPED_TRACE(path);
    EXPECT_EQ(lpicing_test::slurp(files_of("r1") + path), content);
    ResolvedFile f = resolve_request(cache, store_, "/revr1/" + path, "");
    ASSERT_EQ(f.status, ResolveStatus::found);
    EXPECT_EQ(f.entry->path, path);
    EXPECT_EQ(lpicing_test::slurp(f.file), content);
  }
  for (const char* absent : {"/revr1/A.CSS", "/revr1/IMG/logo.png", "/revr1/caf\xc3\x89.css", "/revr1/cafe\xcc\x81.CSS"})
    EXPECT_EQ(resolve_request(cache, store_, absent, "").status, ResolveStatus::not_found) << absent;
}

// ---- the entry limit --------------------------------------------------------------------------

// CPU seconds (user + system) used by waited-for children so far: unlike wall time,
// not inflated by other work on a busy machine.
double children_cpu_seconds() {
  struct rusage u;
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// REVISION, SHA256SUMS and `files` tiny files in 100 directories: files + 2 entries.
void write_many_files_bundle(const std::string& path, const std::string& revision, int files) {
  std::string sums = lpicing_test::sums_line(revision + "\n", "REVISION");
  std::vector<TarEntry> entries;
  entries.reserve(static_cast<std::size_t>(files) + 2);
  entries.push_back({TarEntry::file, "REVISION", revision + "\n", 0, kT0, ""});
  entries.push_back({TarEntry::file, "SHA256SUMS", "", 0, kT0, ""});
  for (int i = 0; i < files; ++i) {
    char name[32];
    snprintf(name, sizeof name, "d%02d/f%06d.txt", i % 100, i);
    std::string content = std::to_string(i) + "\n";
    sums += lpicing_test::sums_line(content, name);
    entries.push_back({TarEntry::file, name, content, 0, kT0, ""});
  }
  entries[1].content = sums;
  lpicing_test::write_tar(path, entries, Filter::gzip);
}

TEST_F(BundleAttack, HundredThousandEntriesIsTheDefaultLimitAndDeploys) {
  ASSERT_EQ(BundleLimits{}.max_entries, 100000u);
  write_many_files_bundle(tmp_ / "many.tar.gz", "many", 100000 - 2);
  auto start = Clock::now();
  double cpu = children_cpu_seconds();
  ToolRun r = run_tool({"deploy", tmp_ / "many.tar.gz", "--store", store_});
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  cpu = children_cpu_seconds() - cpu;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RecordProperty("deploy_100000_entries_seconds", std::to_string(seconds));
  RecordProperty("deploy_100000_entries_cpu_seconds", std::to_string(cpu));
  std::cout << "deploy of 100,000 entries: " << seconds << " s wall, " << cpu << " s CPU\n";

  start = Clock::now();
  std::string error;
  auto index = lpicing_test::load_index(store_ + "/revisions/many/INDEX", &error);
  double load_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(index) << error;
  RecordProperty("index_load_99998_files_seconds", std::to_string(load_seconds));
  std::cout << "INDEX load of 99,998 files: " << load_seconds << " s\n";
  EXPECT_EQ(index->entries().size(), 99998u);
  EXPECT_EQ(lpicing_test::slurp(files_of("many") + "d97/f099997.txt"), "99997\n");
  IndexCache cache;
  EXPECT_EQ(resolve_request(cache, store_, "/d42/f000042.txt", "").status, ResolveStatus::found);
}

TEST_F(BundleAttack, OneEntryOverTheDefaultLimitIsRejectedCleanly) {
  write_many_files_bundle(tmp_ / "many.tar.gz", "many", 100000 - 1);
  auto before = lpicing_test::snapshot(store_);
  auto start = Clock::now();
  double cpu = children_cpu_seconds();
  ToolRun r = run_tool({"deploy", tmp_ / "many.tar.gz", "--store", store_});
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  cpu = children_cpu_seconds() - cpu;
  RecordProperty("reject_100001_entries_seconds", std::to_string(seconds));
  RecordProperty("reject_100001_entries_cpu_seconds", std::to_string(cpu));
  std::cout << "rejection of 100,001 entries: " << seconds << " s wall, " << cpu << " s CPU\n";
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // SHA256SUMS comes first and already lists too many files: refused before any is read.
  EXPECT_NE(r.err.find("entry \"SHA256SUMS\": lists 100000 files: the bundle has more than 100000 entries (limit "
                       "--max-entries)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(lpicing_test::snapshot(store_), before);
  EXPECT_TRUE(lpicing_test::snapshot(store_ + "/staging").empty());
}

// ---- names at the length limits --------------------------------------------------------------

// A name of exactly `bytes` bytes in components of at most 255, ending in `suffix`.
std::string name_of_length(std::size_t bytes, const std::string& suffix) {
  std::string name;
  char c = 'a';
  while (bytes - name.size() > 255 + 1) {
    name += std::string(200, c++) + "/";
  }
  name += std::string(bytes - name.size() - suffix.size(), c) + suffix;
  return name;
}

// The filesystem's own limit is 255 bytes a name too, so a 255-byte asset has no room
// for a ".br" or ".gz" variant beside it: it is served without one, not refused.
TEST_F(BundleAttack, ComponentOf255BytesIsAcceptedAndServed) {
  std::string longest = std::string(251, 'a') + ".css";                // 255 bytes
  std::string roomy = std::string(248, 'b') + ".css";                  // 252: ".br" fits
  std::string dir = std::string(255, 'd') + "/" + std::string(255, 'e');  // two 255-byte components
  ASSERT_EQ(longest.size(), 255u);
  std::string css = lpicing_test::css_text(40);
  BundleSpec s;
  s.revision = "r1";
  s.files = {{longest, css}, {roomy, css}, {dir, "deep\n"}};
  StoreResult r = deploy(s);
  ASSERT_EQ(outcome(r), Outcome::ok) << message(r);
  EXPECT_EQ(lpicing_test::slurp(files_of("r1") + longest), css);
  EXPECT_EQ(lpicing_test::slurp(files_of("r1") + dir), "deep\n");
  IndexCache cache;
  ResolvedFile f = resolve_request(cache, store_, "/revr1/" + longest, "br, gzip");
  ASSERT_EQ(f.status, ResolveStatus::found);
  EXPECT_EQ(f.encoding, Encoding::identity);
  EXPECT_TRUE(f.entry->variants.empty());
  ResolvedFile g = resolve_request(cache, store_, "/revr1/" + roomy, "br, gzip");
  ASSERT_EQ(g.status, ResolveStatus::found);
  EXPECT_EQ(g.encoding, Encoding::br);
  EXPECT_TRUE(lpicing_test::exists(files_of("r1") + roomy + ".br"));
}

TEST_F(BundleAttack, DirectoryComponentOf256BytesIsRejected) {
  std::string dir = std::string(256, 'd') + "/";
  BundleSpec s;
  s.revision = "r1";
  s.files = {{"css/app.css", "x"}};
  s.after = {{TarEntry::dir, dir, "", 0, kT0, ""}};
  auto before = lpicing_test::snapshot(store_);
  expect_rejected(deploy(s), before, dir, "name has a component longer than 255 bytes");
}

TEST_F(BundleAttack, PathOf1024BytesIsAcceptedAnd1025Rejected) {
  std::string at_limit = name_of_length(1024, ".css");
  std::string over = name_of_length(1025, ".css");
  ASSERT_EQ(at_limit.size(), 1024u);
  BundleSpec s;
  s.revision = "r1";
  s.files = {{at_limit, lpicing_test::css_text(40)}};
  StoreResult r = deploy(s);
  ASSERT_EQ(outcome(r), Outcome::ok) << message(r);
  IndexCache cache;
  EXPECT_EQ(resolve_request(cache, store_, "/revr1/" + at_limit, "").status, ResolveStatus::found);

  s.revision = "r2";
  s.files = {{over, "x"}};
  auto before = lpicing_test::snapshot(store_);
  expect_rejected(deploy(s), before, over, "name is longer than 1024 bytes");
}

// With the store deep in the filesystem, a 1024-byte asset path reaches PATH_MAX.
// Deploying works below the store by directory handle, so it either succeeds or fails
// cleanly as a store error; it never leaves staging behind or writes elsewhere.
TEST_F(BundleAttack, AssetPathsNearPathMaxUnderADeepStore) {
  std::string deep = tmp_.path();
  for (char c = 'a'; deep.size() < 3200; ++c) {
    deep += "/" + std::string(200, c);
    ASSERT_EQ(mkdir(deep.c_str(), 0755), 0) << std::strerror(errno);
  }
  std::string store = deep + "/store";
  std::string asset = name_of_length(1024, ".css");
  std::string file_path = store + "/revisions/r1/files/" + asset;
  // Under PATH_MAX ("store/staging/tmp.XXXXXX/files/" is about as long).
  std::string under_asset = name_of_length(PATH_MAX - 1 - (file_path.size() - asset.size()), ".css");
  ASSERT_EQ(store.size() + 20 + under_asset.size(), static_cast<std::size_t>(PATH_MAX - 1));
  ASSERT_GT(file_path.size(), static_cast<std::size_t>(PATH_MAX));

  BundleSpec s;
  s.revision = "r1";
  s.files = {{under_asset, "near\n"}, {asset, lpicing_test::css_text(40)}};
  std::string bundle = tmp_ / "deep.tar";
  lpicing_test::write_bundle(bundle, s);
  StoreResult r = deploy_bundle(store, bundle, {});
  if (outcome(r) == Outcome::ok) {
    EXPECT_EQ(lpicing_test::slurp(store + "/revisions/r1/files/" + under_asset), "near\n");
  } else {
    EXPECT_EQ(outcome(r), Outcome::store_error) << message(r);
    EXPECT_EQ(message(r).find('\n'), std::string::npos);
  }
  std::cout << "deploy with a " << file_path.size() << "-byte asset path: "
            << (outcome(r) == Outcome::ok ? "deployed" : message(r)) << "\n";
  EXPECT_TRUE(lpicing_test::snapshot(store + "/staging").empty());
}

// ---- other entry types and orders -------------------------------------------------------

TEST_F(BundleAttack, OtherEntryTypesAndNameClashesAreRejected) {
  struct Case {
    std::vector<TarEntry> after;
    std::string entry, reason;
  };
  const std::vector<Case> cases = {
      {{{TarEntry::file, "css/sticky.css", "x", 01644, kT0, ""}}, "css/sticky.css", "sticky modes are not allowed"},
      {{{TarEntry::dir, "shared/", "", 02755, kT0, ""}}, "shared/", "setuid, setgid and sticky modes are not allowed"},
      {{{TarEntry::file, "x.css", "x", 0, kT0, ""}, {TarEntry::dir, "x.css/", "", 0, kT0, ""}},
       "x.css",
       "directory has the name of a regular file"},
      {{{TarEntry::file, "x.css", "x", 0, kT0, ""}, {TarEntry::file, "x.css/y.css", "y", 0, kT0, ""}},
       "x.css/y.css",
       "its parent \"x.css\" is a regular file"},
      {{{TarEntry::dir, "fonts/", "", 0, kT0, ""}, {TarEntry::file, "fonts", "x", 0, kT0, ""}},
       "fonts",
       "regular file has the name of a directory"},
      {{{TarEntry::file, "REVISION/x.css", "x", 0, kT0, ""}}, "REVISION/x.css", "metadata name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.entry);
    BundleSpec s;
    s.revision = "r1";
    s.files = {{"css/app.css", "x"}};
    s.after = c.after;
    auto before = lpicing_test::snapshot(store_);
    expect_rejected(deploy(s), before, c.entry, c.reason);
  }
}

}  // namespace
}  // namespace lpicing
