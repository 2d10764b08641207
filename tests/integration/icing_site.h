// One icing site for integration tests: a temporary directory holding a store
// and a drop directory owned by the deploy user, bundles packed and deployed
// by the real lpicing tool, and a private httpd with mod_lpicing (and
// mod_lpedge when asked). IcingSiteTest checks the error log after each test.
#pragma once

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "httpd.h"

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

inline CommandResult run_tool(std::vector<std::string> args) {
  args.insert(args.begin(), LPWEB_LPICING_TOOL);
  return run_command(args);
}

class IcingSite {
 public:
  explicit IcingSite(const std::string& tag = "site") {
    dir = make_temp_dir(tag);
    store = dir + "/store";
    incoming = dir + "/incoming";
    mkdir(store.c_str(), 0755);
    mkdir(incoming.c_str(), 0770);
    chmod(incoming.c_str(), 0770);
    chown_to_deploy_user(store);
    chown_to_deploy_user(incoming);
  }
  ~IcingSite() {
    if (httpd_) httpd_->stop();
    httpd_.reset();
    if (!std::getenv("LPWEB_KEEP_TEST_DIRS")) remove_tree(dir);
  }
  IcingSite(const IcingSite&) = delete;
  IcingSite& operator=(const IcingSite&) = delete;

  // A source tree for `rev` under dir/src-REV.
  std::string source(const std::string& rev, const Files& files) {
    std::string src = dir + "/src-" + rev;
    for (const auto& [path, content] : files) {
      std::filesystem::create_directories(std::filesystem::path(src + "/" + path).parent_path());
      write_file(src + "/" + path, content);
    }
    return src;
  }
  // Packs `files` as revision `rev` (extra: e.g. {"-k", KEY}); returns the bundle path.
  std::string pack(const std::string& rev, const Files& files, std::vector<std::string> extra = {}) {
    std::string out = dir + "/bundle-" + rev + ".tar.gz";
    std::vector<std::string> args = {"pack", source(rev, files), "-r", rev, "-o", out};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = run_tool(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  // Deploys through the CLI (which runs as the store's owner).
  CommandResult deploy(const std::string& bundle, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"deploy", bundle, "--store", store};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
  }
  // Copies the bundle in as NAME.part, then renames it: the documented way to drop.
  void drop(const std::string& bundle, const std::string& name) {
    std::filesystem::copy_file(bundle, incoming + "/" + name + ".part");
    std::filesystem::rename(incoming + "/" + name + ".part", incoming + "/" + name);
  }

  // The lines every site's config starts with.
  std::string base_config() const {
    return "LPIcingStore \"" + store + "\"\nLPIcingTool " LPWEB_LPICING_TOOL "\n"
           "<Location /lpicing-status>\n  SetHandler lpicing-status\n</Location>\n";
  }
  // The lines that turn the drop directory on.
  std::string drop_config() const {
    return "LPIcingIncoming \"" + incoming + "\"\nLPIcingUser " + deploy_user() + "\n";
  }

  HttpdOptions options;  // own_modules gets mod_lpicing at start()

  // Starts httpd with base_config() + extra. False with *error on failure.
  bool start(const std::string& extra, std::string* error) {
    HttpdOptions o = options;
    o.own_modules.insert(o.own_modules.begin(), {"lpicing_module", LPWEB_MOD_LPICING});
    o.config = base_config() + extra + "\n" + o.config;
    httpd_ = std::make_unique<Httpd>(o);
    return httpd_->start(error);
  }
  Httpd& httpd() { return *httpd_; }
  bool running() const { return httpd_ != nullptr; }

  Response get(const std::string& target, std::vector<std::string> headers = {}, const std::string& host = "localhost") {
    Request req;
    req.target = target;
    req.host = host;
    req.headers = std::move(headers);
    return fetch(httpd_->port(), req);
  }

  std::string dir, store, incoming;

 private:
  std::unique_ptr<Httpd> httpd_;
};

// A test with one site; after it, the error log must hold no unexpected line.
class IcingSiteTest : public ::testing::Test {
 protected:
  void SetUp() override { site_ = std::make_unique<IcingSite>(); }
  void TearDown() override {
    if (site_ && site_->running()) {
      site_->httpd().stop();
      auto errors = site_->httpd().unexpected_errors(allowed_errors_);
      EXPECT_TRUE(errors.empty()) << "unexpected error-log lines:\n" << errors.front();
    }
    site_.reset();
  }
  void start(const std::string& extra = "") {
    std::string error;
    ASSERT_TRUE(site_->start(extra, &error)) << error;
  }

  std::unique_ptr<IcingSite> site_;
  std::vector<std::string> allowed_errors_;
};

}  // namespace lpweb::test
