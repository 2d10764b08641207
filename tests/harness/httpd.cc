// The private httpd: config rendering, process control, readiness and log checks.
#include "httpd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client.h"

namespace lpweb::test {
namespace {

using Clock = std::chrono::steady_clock;

void chown_to_httpd_user(const std::string& path) {
  if (geteuid() != 0) return;
  // www-data is uid/gid 33 on Debian; the children must be able to write logs of their own.
  if (chown(path.c_str(), 33, 33) != 0) { /* best effort */ }
}

// What httpd's environment gets on top of ours. In the sanitized build the modules are
// instrumented but Debian's apache2 is not: the ASan runtime must be preloaded, and
// libstdc++ with it, or ASan's __cxa_throw interceptor finds nothing to call. ASan
// reports go to files in `log_dir`; UBSan's ignore log_path when ASan is loaded too
// (gcc 12) and land in the error log. httpd's pools are freed by exit, not one by one,
// so leak checking would only report httpd itself.
std::vector<std::string> sanitizer_settings(const std::string& log_dir) {
#ifdef LPWEB_SANITIZER_PRELOAD
  return {"LD_PRELOAD=" LPWEB_SANITIZER_PRELOAD,
          "ASAN_OPTIONS=log_path=" + log_dir + "/asan:detect_leaks=0:abort_on_error=0:halt_on_error=1",
          "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"};
#else
  return {};
#endif
}

bool contains_any(const std::string& line, std::initializer_list<const char*> needles) {
  for (const char* n : needles)
    if (line.find(n) != std::string::npos) return true;
  return false;
}

// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, int n) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (int i = 0; i < n && at != std::string::npos && at > 0; ++i) at = text.rfind('\n', at - 1);
  return at == std::string::npos || at == 0 ? text : text.substr(at + 1);
}

// Each live member of process group `pgid` as "pid (command line)", from /proc.
std::string describe_process_group(pid_t pgid) {
  std::string out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file("/proc/" + pid + "/stat");
    std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    // After the command: state, ppid, pgrp.
    std::istringstream fields(stat.substr(paren + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (!(fields >> state >> ppid >> pgrp) || pgrp != pgid) continue;
    std::string cmdline = read_file("/proc/" + pid + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    out += "\n  pid " + pid + " [" + state + "] " + cmdline;
    // A leader shows Z while its other threads still run (or sit in D): name their states.
    if (state == "Z") {
      for (const auto& task : std::filesystem::directory_iterator("/proc/" + pid + "/task", ec)) {
        std::string t = read_file(task.path().string() + "/stat");
        std::size_t close = t.rfind(')');
        if (close != std::string::npos && close + 2 < t.size())
          out += "\n    thread " + task.path().filename().string() + " [" + t.substr(close + 2, 1) + "]";
      }
    }
  }
  return out.empty() ? " (none listed in /proc)" : out;
}

}  // namespace

bool trace_mode() {
  const char* v = std::getenv("LPWEB_TEST_TRACE");
  return v && *v && std::strcmp(v, "0") != 0;
}

// Found in httpd 2.4's server/mpm/event/event.c. An ungraceful stop (SIGTERM)
// runs close_worker_sockets(), which closes connections under their worker
// threads; the worker then fails on the closed descriptor (EBADF). Harmless
// then, a bug at any other time.
bool is_shutdown_noise(const std::string& line) {
  return contains_any(line, {
      "AH00468:",  // close_socket_nonblocking: "error closing socket" (already closed)
      "AH03092:",  // process_lingering_close: apr_pollset_add failure
      "AH03093:",  // process_socket: apr_pollset_add failure for keep alive
      "AH03465:",  // process_socket: apr_pollset_add failure in CONN_STATE_WRITE_COMPLETION
      "AH10503:",  // process_socket: apr_pollset_add failure in CONN_STATE_ASYNC_WAITIO
  });
}

// A child that died of a signal dropped every connection of its threads;
// httpd logs it at notice level only (server/mpm_unix.c, ap_process_child_status),
// and a fatal child exit of an old generation at warning level (each MPM).
bool is_child_crash(const std::string& line) {
  return contains_any(line, {
      "AH00051:",  // child pid N exit signal S, possible coredump in DIR
      "AH00052:",  // child pid N exit signal S
      "AH00166:",  // prefork: Ignoring fatal error in child of previous generation
      "AH00290:",  // worker: the same
      "AH00487:",  // event: the same
  });
}

bool sanitized_build() {
#ifdef LPWEB_SANITIZER_PRELOAD
  return true;
#else
  return false;
#endif
}

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string make_temp_dir(const std::string& tag) {
  std::string tmpl = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) +
                     "/lpweb-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  chmod(buf.data(), 0755);
  return std::string(buf.data());
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Httpd::Httpd(HttpdOptions options) : options_(std::move(options)) {
  dir_ = make_temp_dir("httpd");
  for (const char* sub : {"run", "htdocs", "logs", "logs/asan"}) {
    std::string p = dir_ + "/" + sub;
    mkdir(p.c_str(), 0755);
  }
  chown_to_httpd_user(dir_ + "/run");
  chown_to_httpd_user(dir_ + "/logs/asan");
  write_file(dir_ + "/htdocs/index.html", "<!doctype html><title>lpweb</title><p>production</p>\n");
}

Httpd::~Httpd() {
  stop();
  // A test that never asked for unexpected_errors() still fails on a report.
  std::vector<std::string> reports = sanitizer_reports();
  for (std::size_t i = reported_; i < reports.size(); ++i) ADD_FAILURE() << reports[i];
  if (!std::getenv("LPWEB_KEEP_TEST_DIRS")) remove_tree(dir_);
}

std::string Httpd::render_config() const {
  std::ostringstream c;
  const std::string mods = LPWEB_HTTPD_MODULES_DIR;
  std::string log_level = options_.log_level;
  // Only for modules that are loaded: LogLevel refuses a module it cannot find.
  if (trace_mode() && options_.follow_trace_mode) {
    for (const auto& own : options_.own_modules) {
      const std::string& name = own.first;
      std::size_t suffix = name.rfind("_module");
      log_level += " " + name.substr(0, suffix) + ":trace8";
    }
  }
  c << "ServerRoot \"" << dir_ << "\"\n"
    << "Listen 127.0.0.1:" << port_ << "\n"
    << "PidFile \"" << dir_ << "/run/httpd.pid\"\n"
    << "ErrorLog \"" << dir_ << "/logs/error.log\"\n"
    << "LogLevel " << log_level << "\n"
    << "DefaultRuntimeDir \"" << dir_ << "/run\"\n"
    << "Mutex file:" << dir_ << "/run default\n"
    << "ServerName localhost\n";
  if (geteuid() == 0) c << "User www-data\nGroup www-data\n";
  c << "LoadModule mpm_" << options_.mpm << "_module " << mods << "/mod_mpm_" << options_.mpm << ".so\n"
    << "LoadModule authz_core_module " << mods << "/mod_authz_core.so\n"
    << "LoadModule mime_module " << mods << "/mod_mime.so\n"
    << "LoadModule dir_module " << mods << "/mod_dir.so\n";
  for (const std::string& m : options_.httpd_modules)
    c << "LoadModule " << m << "_module " << mods << "/mod_" << m << ".so\n";
  for (const auto& [name, so] : options_.own_modules) c << "LoadModule " << name << " " << so << "\n";
  c << "TypesConfig /etc/mime.types\n"
    << "LogFormat \"%h %P \\\"%r\\\" %>s %{Location}o redirected=%{LPEDGE_REDIRECTED}e\" lpweb\n"
    << "CustomLog \"" << dir_ << "/logs/access.log\" lpweb\n"
    << "DocumentRoot \"" << dir_ << "/htdocs\"\n"
    << "<Directory \"" << dir_ << "/htdocs\">\n  Require all granted\n</Directory>\n"
    << "KeepAliveTimeout 5\n";
  // Kept test directories keep a crashed child's core too (with `ulimit -c unlimited`
  // and a relative kernel core_pattern such as Debian's default "core").
  if (std::getenv("LPWEB_KEEP_TEST_DIRS")) c << "CoreDumpDirectory \"" << dir_ << "/run\"\n";
  c << options_.mpm_settings << "\n" << options_.config << "\n";
  return c.str();
}

std::pair<int, std::string> Httpd::config_test() {
  if (port_ == 0) port_ = free_loopback_port();
  write_file(dir_ + "/httpd.conf", render_config());
  // Output and errors in one stream, in the order httpd wrote them.
  lpweb_test::SpawnOptions spawn;
  spawn.output_file = dir_ + "/config-test.out";
  spawn.env = sanitizer_settings(dir_ + "/logs/asan");
  write_file(spawn.output_file, "");
  std::string error;
  pid_t pid = lpweb_test::spawn_process({LPWEB_HTTPD_BINARY, "-t", "-f", dir_ + "/httpd.conf"}, spawn, &error);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  int code = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::vector<std::string> reports = sanitizer_reports();
  for (std::size_t i = reported_; i < reports.size(); ++i) ADD_FAILURE() << reports[i];
  reported_ = reports.size();
  return {code, pid > 0 ? read_file(spawn.output_file) : error};
}

bool Httpd::start(std::string* error) {
  if (pid_ > 0) return true;
  // Processes httpd leaves behind are reparented to us, not to PID 1 (which here never
  // reaps them): stop() can then reap them and see httpd's process group empty.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (pgid_ > 0) wait_for_process_group();  // what an earlier run left behind
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_loopback_port();
    write_file(dir_ + "/httpd.conf", render_config());
    std::string conf = dir_ + "/httpd.conf";
    // A process group of its own: prefork signals its whole group when it stops.
    lpweb_test::SpawnOptions spawn;
    spawn.output_file = dir_ + "/logs/stderr.log";
    spawn.env = sanitizer_settings(dir_ + "/logs/asan");
    spawn.own_process_group = true;
    pid_ = lpweb_test::spawn_process({LPWEB_HTTPD_BINARY, "-DFOREGROUND", "-f", conf}, spawn, error);
    if (pid_ < 0) return false;
    pgid_ = pid_;
    if (!stop_windows_.empty() && stop_windows_.back().second == std::string::npos)
      stop_windows_.back().second = error_log_size();
    if (wait_until_answering(error)) return true;
    stop();
    // Another process may have taken the port between our pick and httpd's bind.
    if (error->find("Address already in use") == std::string::npos) return false;
  }
  return false;
}

bool Httpd::wait_until_answering(std::string* error) {
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "httpd exited during start-up:\n" + read_file(dir_ + "/logs/stderr.log") + error_log_tail(100);
      return false;
    }
    RawResponse r = raw_request(port_, "GET /lpweb-readiness-probe HTTP/1.0\r\n\r\n", 1000);
    if (r.status > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval of a readiness check
  }
  *error = "httpd did not answer on port " + std::to_string(port_) + " within 20 s:\n" + error_log_tail(100);
  return false;
}

int Httpd::count_in_error_log(const std::string& needle, std::size_t from) const {
  std::string log = error_log_since(from);
  int n = 0;
  for (std::size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  return n;
}

bool Httpd::graceful(std::string* error) {
  if (pid_ <= 0) {
    *error = "httpd is not running";
    return false;
  }
  const std::string marker = "resuming normal operations";
  const std::size_t from = error_log_size();
  int before = count_in_error_log(marker, from);
  write_file(dir_ + "/httpd.conf", render_config());
  kill(pid_, SIGUSR1);
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    if (count_in_error_log(marker, from) > before) return wait_until_answering(error);
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "httpd exited during graceful restart:\n" + error_log_tail(100);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *error = "httpd did not finish a graceful restart within 20 s:\n" + error_log_tail(100);
  return false;
}

void Httpd::stop() {
  if (pid_ > 0) {
    const std::size_t stop_offset = error_log_size();
    stop_windows_.push_back({stop_offset, std::string::npos});
    // A graceful stop first, as Debian's apache2.service stops httpd. SIGTERM alone is
    // an ungraceful stop, where mpm_event's close_worker_sockets() closes connections
    // under their worker threads: a race that now and then segfaults a child (AH00051/2)
    // reading a socket its worker had just freed. Once httpd says it stops gracefully,
    // each child has the graceful message; SIGTERM then only cuts the parent's one-second
    // waits for them (the children no longer read the ungraceful one).
    // httpd itself gives up on its children 10 s after that (SIGKILL at 9 s, mpm_unix.c).
    const int stop_seconds = options_.stop_deadline_seconds;
    auto deadline = Clock::now() + std::chrono::seconds(stop_seconds);
    int status = 0;
    bool exited = false;
    kill(pid_, SIGWINCH);
    auto graceful_begun = [&] {
      return error_log_since(stop_offset).find("shutting down gracefully") != std::string::npos;
    };
    bool graceful_logged = false;
    while (!exited && !(graceful_logged = graceful_begun()) && Clock::now() < deadline) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) kill(pid_, SIGTERM);
    while (!exited && Clock::now() < deadline) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) exited = waitpid(pid_, &status, WNOHANG) == pid_;  // it may have just made it
    if (!exited) {
      std::string members = describe_process_group(pgid_);
      kill(-pgid_, SIGKILL);
      waitpid(pid_, &status, 0);
      ADD_FAILURE() << "httpd (pid " << pid_ << ") was still running " << stop_seconds
                    << " s after it was asked to stop and was killed with SIGKILL ("
                    << (graceful_logged ? "it had logged its graceful stop" : "it never logged its graceful stop")
                    << "); its process group then:" << members
                    << "\nerror log tail:\n" << error_log_tail(30);
    }
    pid_ = -1;
  }
  if (pgid_ > 0) wait_for_process_group();
}

// After httpd's parent is gone nothing of its group may stay: the drop-directory
// watcher and the tool runs it forks are in it.
void Httpd::wait_for_process_group() {
  const int group_seconds = options_.group_deadline_seconds;
  auto gone = [this] {
    while (waitpid(-pgid_, nullptr, WNOHANG) > 0) {
    }
    return kill(-pgid_, 0) != 0 && errno == ESRCH;
  };
  auto deadline = Clock::now() + std::chrono::seconds(group_seconds);
  while (!gone()) {
    if (Clock::now() >= deadline) {
      std::string members = describe_process_group(pgid_);
      kill(-pgid_, SIGKILL);
      auto reap_deadline = Clock::now() + std::chrono::seconds(5);
      while (!gone() && Clock::now() < reap_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ADD_FAILURE() << "httpd's process group " << pgid_ << " still had processes " << group_seconds
                    << " s after httpd's parent exited; killed with SIGKILL:" << members
                    << "\nerror log tail:\n" << error_log_tail(30);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pgid_ = -1;
}

std::string Httpd::error_log() const { return read_file(dir_ + "/logs/error.log"); }

std::string Httpd::error_log_since(std::size_t offset) const {
  std::ifstream in(dir_ + "/logs/error.log", std::ios::binary);
  if (!in || !in.seekg(static_cast<std::streamoff>(offset))) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t Httpd::error_log_size() const {
  std::error_code ec;
  auto size = std::filesystem::file_size(dir_ + "/logs/error.log", ec);
  return ec ? 0 : static_cast<std::size_t>(size);
}

std::string Httpd::error_log_tail(int n) const {
  constexpr std::size_t kTailBytes = 64 * 1024;  // plenty for 30 lines of httpd's log
  std::size_t size = error_log_size();
  return tail_lines(error_log_since(size > kTailBytes ? size - kTailBytes : 0), n);
}
std::string Httpd::access_log() const { return read_file(dir_ + "/logs/access.log"); }

std::vector<std::string> Httpd::sanitizer_reports() const {
  constexpr int kLines = 40;
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/logs/asan", ec))
    if (entry.is_regular_file(ec) && entry.file_size(ec) > 0) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  std::vector<std::string> reports;
  for (const std::string& f : files) {
    std::istringstream in(read_file(f));
    std::string report = "sanitizer report " + f + ":";
    int n = 0;
    for (std::string line; n < kLines && std::getline(in, line); ++n) report += "\n" + line;
    reports.push_back(report);
  }
  // Whatever reached a process's stderr instead: UBSan's reports, or ASan's before log_path applied.
  for (const char* log : {"logs/stderr.log", "logs/error.log"}) {
    std::istringstream in(read_file(dir_ + "/" + log));
    std::string report;
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.find("runtime error: ") != std::string::npos || line.find("ERROR: AddressSanitizer") != std::string::npos ||
          line.find("ERROR: LeakSanitizer") != std::string::npos) {
        if (!report.empty()) reports.push_back(report);
        report = std::string("sanitizer report in ") + log + ":";
        n = 0;
      }
      if (!report.empty() && n++ < kLines) report += "\n" + line;
    }
    if (!report.empty()) reports.push_back(report);
  }
  return reports;
}

std::vector<std::string> Httpd::unexpected_errors(const std::vector<std::string>& allowed) const {
  // Reports first: callers often show only the first line.
  std::vector<std::string> out = sanitizer_reports();
  reported_ = out.size();
  std::istringstream in(error_log());
  std::size_t offset = 0;
  for (std::string line; std::getline(in, line); offset += line.size() + 1) {
    bool crash = is_child_crash(line);
    if (!crash && !contains_any(line, {":error]", ":crit]", ":alert]", ":emerg]"})) continue;
    bool stopping = false;
    for (const auto& [begin, end] : stop_windows_) stopping = stopping || (offset >= begin && offset < end);
    bool ok = !crash && stopping && is_shutdown_noise(line);
    for (const std::string& a : allowed) ok = ok || line.find(a) != std::string::npos;
    if (!ok) out.push_back(line);
  }
  return out;
}

}  // namespace lpweb::test
