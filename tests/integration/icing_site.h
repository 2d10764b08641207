// One icing site for integration tests: a temporary directory holding a store
// and a drop directory, bundles packed and deployed by the real lpicing tool
// from sources the test wrote, and a private httpd with mod_lpicing (and
// whatever else the test loads). IcingSiteTest holds one site or several and
// checks each error log after the test.
#pragma once

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "httpd.h"

// The build defines the tool's path when it builds lpicing (tests/integration/CMakeLists.txt),
// and links lpicing_core then; a LPWEB_SKIP_LPICING build has neither, and its tests skip.
#ifdef LPWEB_LPICING_TOOL
#include "store.h"
#define LPWEB_HAVE_LPICING_CORE 1
#else
#define LPWEB_LPICING_TOOL ""
#endif

namespace lpweb::test {

using Files = std::map<std::string, std::string>;  // relative path -> content

// Polls `condition` every 20 ms until it holds or `seconds` pass.
template <typename F>
bool eventually(F condition, double seconds) {
  auto start = std::chrono::steady_clock::now();
  while (!condition()) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
  return true;
}

// The user the drop-directory watcher runs as (LPIcingUser) and who owns the
// store: the `lpicing` system user (tests/setup.sh makes it) when the tests
// run as root, else whoever runs them (httpd cannot switch users then).
inline std::string deploy_user() {
  if (geteuid() == 0) return "lpicing";
  const passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "nobody";
}

inline void chown_to_deploy_user(const std::string& path) {
  if (geteuid() != 0) return;
  const passwd* pw = getpwnam(deploy_user().c_str());
  ASSERT_NE(pw, nullptr) << "no user " << deploy_user() << ": run tests/setup.sh";
  ASSERT_EQ(chown(path.c_str(), pw->pw_uid, pw->pw_gid), 0) << path;
}

// The whole tree, for stores a test wrote in-process as root.
inline void chown_tree_to_deploy_user(const std::string& root) {
  if (geteuid() != 0) return;
  const passwd* pw = getpwnam(deploy_user().c_str());
  ASSERT_NE(pw, nullptr) << "no user " << deploy_user() << ": run tests/setup.sh";
  ASSERT_EQ(lchown(root.c_str(), pw->pw_uid, pw->pw_gid), 0) << root;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    ASSERT_EQ(lchown(e.path().c_str(), pw->pw_uid, pw->pw_gid), 0) << e.path();
}

// The real lpicing tool with `args`; a deadline and variables (NAME=value) as run_command's.
inline CommandResult run_tool(std::vector<std::string> args, double deadline_seconds = 0,
                              const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), LPWEB_LPICING_TOOL);
  return run_command(args, deadline_seconds, env);
}

// Who owns a site's store. The deploy user: a drop-directory watcher needs that,
// and the tool run as root then writes as that user. Or whoever runs the tests,
// the tool making the store at the first deploy, as a release script run as root
// would: the tool then never changes user.
enum class StoreOwner { deploy_user, tester };

class IcingSite {
 public:
  explicit IcingSite(const std::string& tag = "site", StoreOwner owner = StoreOwner::deploy_user) : owner_(owner) {
    dir = make_temp_dir(tag);
    store = dir + "/store";
    incoming = dir + "/incoming";
    mkdir(incoming.c_str(), 0770);
    chmod(incoming.c_str(), 0770);
    if (owner_ == StoreOwner::deploy_user) {
      mkdir(store.c_str(), 0755);
      chown_to_deploy_user(store);
      chown_to_deploy_user(incoming);
    }
  }
  ~IcingSite() {
    if (httpd_) httpd_->stop();
    httpd_.reset();
    if (!std::getenv("LPWEB_KEEP_TEST_DIRS")) remove_tree(dir);
  }
  IcingSite(const IcingSite&) = delete;
  IcingSite& operator=(const IcingSite&) = delete;

  // ---- sources, bundles and deploys ----

  std::string source_dir(const std::string& rev) const { return dir + "/src-" + rev; }
  // A source tree for `rev` in source_dir(rev); source_file() answers from what it wrote.
  std::string source(const std::string& rev, const Files& files) {
    std::string src = source_dir(rev);
    for (const auto& [path, content] : files) {
      std::filesystem::create_directories(std::filesystem::path(src + "/" + path).parent_path());
      write_file(src + "/" + path, content);
      sources_[rev][path] = content;
    }
    return src;
  }
  // What the test wrote for `path` in revision `rev`: expected bodies come from
  // here, never from the store.
  const std::string& source_file(const std::string& rev, const std::string& path) const {
    return sources_.at(rev).at(path);
  }
  // Removes what source() wrote for `rev`, on disk and in memory: for tests that pack
  // many revisions and need only the bundles.
  void remove_source(const std::string& rev) {
    remove_tree(source_dir(rev));
    sources_.erase(rev);
  }
  // Packs `files` as revision `rev` (extra: e.g. {"-k", KEY}) into dir/bundle-REV.tar.gz;
  // the result, and the bundle's path in *bundle.
  CommandResult pack_result(const std::string& rev, const Files& files, std::string* bundle,
                            std::vector<std::string> extra = {}) {
    *bundle = dir + "/bundle-" + rev + ".tar.gz";
    std::vector<std::string> args = {"pack", source(rev, files), "-r", rev, "-o", *bundle};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
  }
  // The same, expecting success; returns the bundle path.
  std::string pack(const std::string& rev, const Files& files, std::vector<std::string> extra = {}) {
    std::string bundle;
    CommandResult r = pack_result(rev, files, &bundle, std::move(extra));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return bundle;
  }
  // Deploys through the CLI (which runs as the store's owner).
  CommandResult deploy(const std::string& bundle, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"deploy", bundle, "--store", store};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
  }
  // Packs and deploys revision `rev`: "" or what failed (for SetUpTestSuite, where
  // no assertion belongs).
  std::string try_deploy_revision(const std::string& rev, const Files& files, std::vector<std::string> extra = {}) {
    std::string bundle;
    CommandResult packed = pack_result(rev, files, &bundle);
    if (packed.exit_code != 0) return "pack " + rev + ": " + packed.err;
    CommandResult deployed = deploy(bundle, std::move(extra));
    if (deployed.exit_code != 0) return "deploy " + rev + ": " + deployed.err;
    return "";
  }
  // The same, asserting success.
  void deploy_revision(const std::string& rev, const Files& files, std::vector<std::string> extra = {}) {
    std::string bundle = pack(rev, files);
    CommandResult r = deploy(bundle, std::move(extra));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
#ifdef LPWEB_HAVE_LPICING_CORE
  // Deploys in-process as if at `deployed_at` (the tool has no clock to set), then
  // gives the store back to its owner.
  void deploy_at(const std::string& bundle, std::int64_t deployed_at) {
    lpicing::DeployOptions options;
    options.now = deployed_at;
    lpicing::StoreResult r = lpicing::deploy_bundle(store, bundle, options);
    ASSERT_TRUE(r) << r.error().what();
    if (owner_ == StoreOwner::deploy_user) chown_tree_to_deploy_user(store);
  }
#endif
  // Copies the bundle in as NAME.part, then renames it: the documented way to drop.
  void drop(const std::string& bundle, const std::string& name) {
    std::filesystem::copy_file(bundle, incoming + "/" + name + ".part");
    std::filesystem::rename(incoming + "/" + name + ".part", incoming + "/" + name);
  }

  // ---- httpd ----

  // The lines every site's config starts with.
  std::string base_config() const {
    return "LPIcingStore \"" + store + "\"\nLPIcingTool " + tool + "\n"
           "<Location /lpicing-status>\n  SetHandler lpicing-status\n</Location>\n";
  }
  // The lines that turn the drop directory on (the store must be the deploy user's).
  std::string drop_config() const {
    return "LPIcingIncoming \"" + incoming + "\"\nLPIcingUser " + deploy_user() + "\n";
  }

  // mpm, log level, httpd modules, config appended last; own_modules gets
  // mod_lpicing first at prepare() unless it already names it (where the order matters).
  HttpdOptions options;
  std::string tool = LPWEB_LPICING_TOOL;  // LPIcingTool: the one the watcher runs

  // Builds httpd with base_config() + extra, not started: for a test that needs
  // its paths (htdocs, run) first.
  Httpd& prepare(const std::string& extra) {
    HttpdOptions o = options;
    bool has_lpicing = false;
    for (const auto& own : o.own_modules) has_lpicing = has_lpicing || own.first == "lpicing_module";
    if (!has_lpicing) o.own_modules.insert(o.own_modules.begin(), {"lpicing_module", LPWEB_MOD_LPICING});
    config_ = base_config() + extra + "\n" + o.config;
    o.config = config_;
    if (httpd_) httpd_->stop();
    httpd_ = std::make_unique<Httpd>(o);
    return *httpd_;
  }
  // `apache2 -t` on base_config() + extra: {exit status, output}.
  std::pair<int, std::string> config_test(const std::string& extra) { return prepare(extra).config_test(); }
  // Appends to the prepared config, for the next start or graceful restart.
  void add_config(const std::string& more) {
    config_ += more;
    httpd_->set_config(config_);
  }
  // Starts what prepare() built. False with *error on failure.
  bool start(std::string* error) { return httpd_->start(error); }
  // prepare(extra), then start.
  bool start(const std::string& extra, std::string* error) {
    prepare(extra);
    return start(error);
  }
  Httpd& httpd() { return *httpd_; }
  const Httpd& httpd() const { return *httpd_; }
  bool running() const { return httpd_ != nullptr; }
  int port() const { return httpd_->port(); }
  std::string status_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/lpicing-status"; }

  Response get(const std::string& target, std::vector<std::string> headers = {},
               const std::string& host = "localhost") const {
    Request req;
    req.target = target;
    req.host = host;
    req.headers = std::move(headers);
    return fetch(port(), req);
  }
  // GET on a fresh connection with the target sent as is, for targets libcurl would change.
  RawResponse raw_get(const std::string& target) const {
    return raw_request(port(), "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  }

  std::string dir, store, incoming;

 private:
  StoreOwner owner_;
  std::map<std::string, Files> sources_;  // rev -> what source() wrote
  std::string config_;
  std::unique_ptr<Httpd> httpd_;
};

// A test with one site (site_) or several (add_site); after it, no error log may
// hold an unexpected line.
class IcingSiteTest : public ::testing::Test {
 protected:
  explicit IcingSiteTest(StoreOwner owner = StoreOwner::deploy_user) : owner_(owner) {}
  void SetUp() override { site_ = &add_site("site"); }
  void TearDown() override {
    for (auto& site : sites_) {
      if (!site->running()) continue;
      site->httpd().stop();
      auto errors = site->httpd().unexpected_errors(allowed_errors_);
      EXPECT_TRUE(errors.empty()) << "unexpected error-log lines:\n" << errors.front();
    }
    sites_.clear();
    site_ = nullptr;
  }

  IcingSite& add_site(const std::string& tag) {
    sites_.push_back(std::make_unique<IcingSite>(tag, owner_));
    return *sites_.back();
  }
  // Starts the site's httpd with base_config() + extra.
  void start(IcingSite& site, const std::string& extra = "") {
    std::string error;
    ASSERT_TRUE(site.start(extra, &error)) << error;
  }
  void start(const std::string& extra = "") { start(*site_, extra); }
  // Starts what site.prepare() built.
  void start_prepared(IcingSite& site) {
    std::string error;
    ASSERT_TRUE(site.start(&error)) << error;
  }

  IcingSite* site_ = nullptr;  // the first site
  std::vector<std::string> allowed_errors_;

 private:
  StoreOwner owner_;
  std::vector<std::unique_ptr<IcingSite>> sites_;
};

}  // namespace lpweb::test
