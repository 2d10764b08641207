// A private Apache httpd for integration tests: a generated, self-contained
// config in a temporary directory, a free loopback port, started in the
// foreground as our child, stopped (and its error log checked) afterwards.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "run_command.h"

// The modules' paths come from the build as compile definitions (tests/integration/
// CMakeLists.txt); one that LPWEB_SKIP_LPEDGE / LPWEB_SKIP_LPICING left out is "", and
// a test that loads it skips, at the start of its body or SetUp().
#ifndef LPWEB_MOD_LPEDGE
#define LPWEB_MOD_LPEDGE ""
#endif
#ifndef LPWEB_MOD_LPICING
#define LPWEB_MOD_LPICING ""
#endif
#define LPWEB_SKIP_WITHOUT_LPEDGE() \
  if (!*LPWEB_MOD_LPEDGE) GTEST_SKIP() << "mod_lpedge was not built (LPWEB_SKIP_LPEDGE=ON)"
#define LPWEB_SKIP_WITHOUT_LPICING() \
  if (!*LPWEB_MOD_LPICING) GTEST_SKIP() << "mod_lpicing was not built (LPWEB_SKIP_LPICING=ON)"

namespace lpweb::test {

struct HttpdOptions {
  std::string mpm = "event";                // event, worker or prefork
  std::string mpm_settings;                  // e.g. "StartServers 2"
  std::vector<std::string> httpd_modules;    // extra httpd modules by short name: "alias", "rewrite"
  // This project's modules: {module record name, .so path}.
  std::vector<std::pair<std::string, std::string>> own_modules;
  std::string config;                        // appended after the generated base config
  std::string log_level = "warn";
  // False for a test about the LogLevel itself: trace mode then leaves it as set.
  bool follow_trace_mode = true;
  // How long stop() waits for httpd to exit, then for the rest of its process
  // group; past either the test fails. Shorter only in the harness's own tests.
  int stop_deadline_seconds = 30;
  int group_deadline_seconds = 10;
};

class Httpd {
 public:
  explicit Httpd(HttpdOptions options);
  ~Httpd();
  Httpd(const Httpd&) = delete;
  Httpd& operator=(const Httpd&) = delete;

  // Writes the config, starts httpd and waits until it answers HTTP.
  // Returns false with *error set (including the error log) on failure.
  bool start(std::string* error);
  // Stops httpd gracefully (SIGWINCH, then SIGTERM), then waits for it and every process
  // of its group (the drop-directory watcher and its tool runs); a stop that needs
  // SIGKILL fails the running test.
  void stop();
  // Graceful restart; returns once httpd has reloaded and answers again.
  bool graceful(std::string* error);

  // `apache2 -t` on the generated config: {exit status, combined output}.
  std::pair<int, std::string> config_test();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // httpd's parent (and process group), -1 when not running
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& relative) const { return dir_ + "/" + relative; }
  std::string error_log() const;
  // The error log from byte `offset` on, and its size: what a poll loop reads, so a
  // long load test's log (hundreds of MB at trace8) is not re-read every 10 ms.
  std::string error_log_since(std::size_t offset) const;
  std::size_t error_log_size() const;
  // Its last `n` lines, read from the end of the file.
  std::string error_log_tail(int n) const;
  std::string access_log() const;
  // Error-log lines at error, crit, alert or emerg level, and child-crash lines at any
  // level (AH00052 and kin), not matching any of `allowed`, after every sanitizer report
  // (sanitized build: LPWEB_SANITIZE).
  std::vector<std::string> unexpected_errors(const std::vector<std::string>& allowed = {}) const;
  // The head of each sanitizer report of httpd's processes: ASan's files in logs/asan,
  // and reports that reached stderr.log or error.log (UBSan's, under gcc 12).
  std::vector<std::string> sanitizer_reports() const;
  // Replaces the config body, for the next start/graceful.
  void set_config(const std::string& body) { options_.config = body; }

 private:
  std::string render_config() const;
  void wait_for_process_group();
  bool wait_until_answering(std::string* error);
  int count_in_error_log(const std::string& needle, std::size_t from) const;

  HttpdOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t pgid_ = -1;  // httpd's process group, until stop() saw it empty
  // Error-log offsets from each stop() to the next start: where shutdown noise is tolerated.
  std::vector<std::pair<std::size_t, std::size_t>> stop_windows_;
  mutable std::size_t reported_ = 0;  // sanitizer reports already handed to the test
};

// True in the LPWEB_SANITIZE build, where ASan's quarantine and shadow memory make a
// process's RSS grow by design: memory-growth bounds do not apply there.
bool sanitized_build();

// LPWEB_TEST_TRACE=1 (tests/run-tests.sh --trace): every httpd runs this project's
// modules at trace8, so that every log call of theirs executes.
bool trace_mode();

// The error-log lines the harness tolerates or always reports, by AH number.
bool is_shutdown_noise(const std::string& line);
bool is_child_crash(const std::string& line);

// A free TCP port on 127.0.0.1 (the kernel's pick, released for httpd to take).
int free_loopback_port();
// Makes a temporary directory (mode 0755, readable by httpd's children).
std::string make_temp_dir(const std::string& tag);
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);
void remove_tree(const std::string& path);

// Programs are run without a shell by tests/common/run_command.h.
using lpweb_test::CommandResult;
using lpweb_test::run_command;

}  // namespace lpweb::test
