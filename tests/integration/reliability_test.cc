// Reliability of both modules in one real httpd (event MPM): revisions swapped,
// rolled back and pruned under 32 keep-alive clients that check every byte;
// graceful restarts under load; the lpicing tool SIGKILLed at each step of a
// store change; a soak that watches the children's fds and memory.
// LPWEB_LONG=1 runs the long forms (minutes); unset, each test takes seconds.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "client.h"
#include "crypto.h"
#include "decode.h"
#include "icing_site.h"
#include "index.h"

namespace lpweb::test {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

bool long_form() {
  const char* v = std::getenv("LPWEB_LONG");
  return v && *v && std::strcmp(v, "0") != 0;
}

double seconds_since(TimePoint t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string hex_sha256(std::string_view bytes) { return lpicing::to_hex(lpicing::sha256_of(bytes)); }
std::string etag_of_hex(const std::string& hex) { return "\"" + hex.substr(0, 32) + "\""; }

// ---- the assets -------------------------------------------------------------------

// The served files of a revision; every one names the revision, so no two revisions share bytes.
std::map<std::string, std::string> assets_of(const std::string& rev) {
  std::map<std::string, std::string> files;
  std::string css = "/* revision " + rev + " */\n";
  for (int i = 0; i < 150; ++i) css += ".rule-" + std::to_string(i) + " { color: #123456; margin: 0 auto; }\n";
  files["css/app.css"] = css;
  files["js/app.js"] = "window.lpRevision = '" + rev + "';\n" + std::string(900, ' ') + "//\n";
  std::string png = "\x89PNG\r\n\x1a\n" + rev;
  for (int i = 0; i < 300; ++i) png.push_back(static_cast<char>((i * 131 + rev.size()) & 0xff));
  files["img/logo.png"] = png;
  // Incompressible and bigger than one socket read, so a response arrives in pieces.
  std::mt19937 bits(static_cast<unsigned>(std::hash<std::string>()(rev)));
  std::string blob = "revision " + rev + "\n";
  while (blob.size() < 96 * 1024) blob.push_back(static_cast<char>(bits() & 0xff));
  files["data/blob.bin"] = blob;
  // The same in every revision: deployed once, linked from the store's pool after that.
  std::string lib = "/* vendor library */\n";
  for (int i = 0; i < 200; ++i) lib += "function f" + std::to_string(i) + "(a) { return a + " + std::to_string(i) + "; }\n";
  files["js/vendor.js"] = lib;
  return files;
}

const std::vector<std::string> kAssetPaths = {"css/app.css", "js/app.js", "img/logo.png", "data/blob.bin"};

// ---- what every response is checked against ----------------------------------------

struct CurrentSpan {
  std::string revision;
  TimePoint from, to;  // `to` is max() while it may still be current
};

// What the clients check against: the source files of each revision (a compressed
// body is decoded first), which revision may be current when, and when a revision's
// removal began. Shared by all client threads.
class Ledger {
 public:
  void add_revision(const std::string& rev) {
    std::lock_guard<std::mutex> l(mu_);
    auto& files = revisions_[rev];
    for (const auto& [path, bytes] : assets_of(rev)) files[path] = hex_sha256(bytes);
  }
  // Called before the tool that makes `rev` current runs, and after it returned.
  void current_may_change(const std::string& rev, TimePoint t) {
    std::lock_guard<std::mutex> l(mu_);
    spans_.push_back({rev, t, TimePoint::max()});
  }
  void current_changed(const std::string& rev, TimePoint t) {
    std::lock_guard<std::mutex> l(mu_);
    for (CurrentSpan& s : spans_)
      if (s.revision != rev && s.to == TimePoint::max()) s.to = t;
    current_ = rev;
  }
  void removal_begins(const std::string& rev, TimePoint t) {
    std::lock_guard<std::mutex> l(mu_);
    removal_started_.emplace(rev, t);
  }
  std::string current() const {
    std::lock_guard<std::mutex> l(mu_);
    return current_;
  }
  // Revisions recently current, which pages still being read refer to.
  void set_recent(std::vector<std::string> revisions) {
    std::lock_guard<std::mutex> l(mu_);
    recent_ = std::move(revisions);
  }
  std::string pick_recent(unsigned random) const {
    std::lock_guard<std::mutex> l(mu_);
    return recent_.empty() ? current_ : recent_[random % recent_.size()];
  }
  std::string identity_hash(const std::string& rev, const std::string& path) const {
    std::lock_guard<std::mutex> l(mu_);
    return revisions_.at(rev).at(path);
  }
  bool removal_started_before(const std::string& rev, TimePoint t) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = removal_started_.find(rev);
    return it != removal_started_.end() && it->second <= t;
  }
  std::vector<std::string> current_during(TimePoint from, TimePoint to) const {
    std::lock_guard<std::mutex> l(mu_);
    std::set<std::string> out;
    for (const CurrentSpan& s : spans_)
      if (s.from <= to && s.to >= from) out.insert(s.revision);
    return {out.begin(), out.end()};
  }
  // "" when `hash` is the SHA-256 of one of `revisions`' source of `path`; else why not.
  std::string matches(const std::vector<std::string>& candidates, const std::string& path,
                      const std::string& encoding, const std::string& hash) const {
    std::lock_guard<std::mutex> l(mu_);
    for (const std::string& rev : candidates) {
      auto r = revisions_.find(rev);
      if (r == revisions_.end()) continue;
      auto f = r->second.find(path);
      if (f != r->second.end() && f->second == hash) return "";
    }
    std::string names;
    for (const std::string& rev : candidates) names += " " + rev;
    return "body (" + encoding + ", decoded) matches the source of none of the revisions" + names;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> revisions_;  // rev -> path -> hex SHA-256
  std::vector<CurrentSpan> spans_;
  std::map<std::string, TimePoint> removal_started_;
  std::string current_;
  std::vector<std::string> recent_;
};

// ---- a keep-alive client that counts the bytes of each response ---------------------

struct Exchange {
  Response response;
  std::string error;                // why the exchange failed; empty on success
  std::size_t bytes_received = 0;   // of this response
  bool reused = false;              // sent on a connection that had already served a response
};

// One kept-alive connection. Unlike RawConnection it reports how many bytes of a
// response arrived (the retry rule needs it), insists on Content-Length framing and
// that nothing follows the body, and reconnects after `Connection: close`.
class LoadConnection {
 public:
  explicit LoadConnection(int port) : port_(port) {}
  ~LoadConnection() { disconnect(); }
  LoadConnection(const LoadConnection&) = delete;
  LoadConnection& operator=(const LoadConnection&) = delete;

  Exchange exchange(const std::string& request) {
    Exchange x;
    if (fd_ < 0 && !connect_now(&x.error)) return x;
    x.reused = served_ > 0;
    if (!send_all(request)) {
      x.error = std::string("send: ") + std::strerror(errno);
      disconnect();
      return x;
    }
    std::string buf;
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!receive(&buf, &x)) return x;
    head_end += 4;
    if (buf.compare(0, 9, "HTTP/1.1 ") != 0 || buf.size() < 12) return fail(&x, "bad status line: " + buf.substr(0, 40));
    x.response.status = std::strtol(buf.substr(9, 3).c_str(), nullptr, 10);
    std::istringstream head(buf.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::size_t v = line.find_first_not_of(" \t", colon + 1);
      x.response.headers.emplace_back(name, v == std::string::npos ? "" : line.substr(v));
    }
    std::size_t length = 0;
    if (x.response.status != 304) {
      std::string cl = x.response.header("content-length");
      if (cl.empty() || x.response.header_count("content-length") != 1)
        return fail(&x, "status " + std::to_string(x.response.status) + " without one Content-Length");
      length = std::strtoul(cl.c_str(), nullptr, 10);
    }
    while (buf.size() < head_end + length)
      if (!receive(&buf, &x)) return x;
    if (buf.size() > head_end + length)
      return fail(&x, std::to_string(buf.size() - head_end - length) + " bytes beyond Content-Length " +
                          std::to_string(length));
    x.response.body = buf.substr(head_end);
    ++served_;
    std::string connection = x.response.header("connection");
    std::transform(connection.begin(), connection.end(), connection.begin(), [](unsigned char c) { return std::tolower(c); });
    if (connection == "close") {
      // Nothing may follow the body before the server closes.
      std::string rest;
      Exchange ignored;
      while (receive(&rest, &ignored)) {
      }
      if (!rest.empty()) return fail(&x, std::to_string(rest.size()) + " bytes after a Connection: close response");
      disconnect();
    }
    return x;
  }

 private:
  bool connect_now(std::string* error) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      *error = std::string("connect: ") + std::strerror(errno);
      disconnect();
      return false;
    }
    served_ = 0;
    return true;
  }
  void disconnect() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    served_ = 0;
  }
  bool send_all(const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Appends what arrives; on close, error or a 10 s stall sets x->error and disconnects.
  bool receive(std::string* into, Exchange* x) {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, 10000);
    char buf[65536];
    ssize_t n = ready > 0 ? recv(fd_, buf, sizeof buf, 0) : -1;
    if (n > 0) {
      into->append(buf, static_cast<std::size_t>(n));
      x->bytes_received += static_cast<std::size_t>(n);
      return true;
    }
    x->error = ready == 0 ? "no data for 10 s" : n == 0 ? "connection closed by the server"
                                                        : std::string("recv: ") + std::strerror(errno);
    disconnect();
    return false;
  }
  Exchange fail(Exchange* x, const std::string& why) {
    x->error = why;
    disconnect();
    return std::move(*x);
  }

  int port_;
  int fd_ = -1;
  int served_ = 0;  // responses on the current connection
};

// ---- the load -----------------------------------------------------------------------

struct LoadCounts {
  std::atomic<long> requests{0}, completed{0}, ok200{0}, not_modified{0}, not_found{0}, redirects{0}, retries{0}, failures{0};
  std::mutex mu;
  std::map<std::string, long> retry_reasons;
};

struct LoadPlan {
  std::vector<std::string> pinned;  // old revisions asked for by revision
  bool edge = false;                // interleave requests to the edge host
  long stop_after = 0;              // total requests; 0: until told to stop
};

// The client threads: each loops over a mix of URLs on its own keep-alive connection
// and checks every response against the Ledger.
class Load {
 public:
  Load(int port, Ledger* ledger, LoadPlan plan) : port_(port), ledger_(ledger), plan_(std::move(plan)) {}
  ~Load() { stop(); }

  void start(int connections) {
    for (int i = 0; i < connections; ++i) threads_.emplace_back([this, i] { run(i); });
  }
  void stop() {
    stopping_ = true;
    wait();
  }
  // Waits for the clients to finish (with stop_after set, once they have sent it all).
  void wait() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  std::vector<std::string> failure_samples() const {
    std::lock_guard<std::mutex> l(mu_);
    return samples_;
  }
  LoadCounts counts;

 private:
  struct Sent {
    std::string target, host = "localhost", revision, path, if_none_match, accept = "identity";
    bool versioned = false;
  };

  Sent pick(std::mt19937& rng) {
    Sent s;
    std::uniform_int_distribution<int> kind(0, plan_.edge ? 7 : 6), file(0, 15);
    int f = file(rng);
    // The 96 KiB blob one time in sixteen; the small files share the rest.
    s.path = f == 0 ? "data/blob.bin" : kAssetPaths[static_cast<std::size_t>(f % 3)];
    std::string current = ledger_->current();
    switch (kind(rng)) {
      case 0: case 1:  // an old revision, pinned
        s.revision = plan_.pinned[static_cast<std::size_t>(rng() % plan_.pinned.size())];
        break;
      case 2:  // the current revision or a recent one (perhaps being removed), by revision
        s.revision = rng() % 2 ? current : ledger_->pick_recent(static_cast<unsigned>(rng()));
        break;
      case 3:  // revalidation of a pinned or current revision: 304
        s.revision = rng() % 2 ? current : plan_.pinned[0];
        s.if_none_match = etag_of_hex(ledger_->identity_hash(s.revision, s.path));
        break;
      case 4:  // revalidation of an unversioned URL: 304 while it is still current
        s.if_none_match = etag_of_hex(ledger_->identity_hash(current, s.path));
        break;
      case 5:  // unversioned, identity
        break;
      case 6:  // unversioned or current, compressed if the revision has a variant
        s.accept = "br, gzip";
        if (rng() % 2) s.revision = current;
        break;
      case 7:  // the edge host
        s.host = "bugs.edge.localhost";
        s.target = "/bugs/+bug/" + std::to_string(rng() % 100000) + "?x=%2F&y=a%20b";
        return s;
    }
    s.versioned = !s.revision.empty();
    s.target = "/+icing/" + (s.versioned ? "rev" + s.revision + "/" : "") + s.path;
    return s;
  }

  std::string request_bytes(const Sent& s) {
    std::string r = "GET " + s.target + " HTTP/1.1\r\nHost: " + s.host + "\r\nAccept-Encoding: " + s.accept + "\r\n";
    if (!s.if_none_match.empty()) r += "If-None-Match: " + s.if_none_match + "\r\n";
    return r + "\r\n";
  }

  // "" when the response is right for the request sent in [start, end].
  std::string judge(const Sent& s, const Response& r, TimePoint start, TimePoint end) {
    if (s.host != "localhost") {
      std::string want = "http://bugs.localhost" + s.target;
      if (r.status != 301 || r.header("location") != want)
        return "edge: status " + std::to_string(r.status) + ", Location " + r.header("location");
      ++counts.redirects;
      return "";
    }
    std::vector<std::string> candidates =
        s.versioned ? std::vector<std::string>{s.revision} : ledger_->current_during(start, end);
    if (r.status == 404) {
      if (!s.versioned || !ledger_->removal_started_before(s.revision, end)) return "404 before any removal";
      if (r.header("cache-control") != "no-store") return "404 without Cache-Control: no-store";
      ++counts.not_found;
      return "";
    }
    if (r.status == 304) {
      if (s.if_none_match.empty() || r.header("etag") != s.if_none_match) return "304 with ETag " + r.header("etag");
      std::string hex_prefix = s.if_none_match.substr(1, 32);
      for (const std::string& rev : candidates)
        if (ledger_->identity_hash(rev, s.path).compare(0, 32, hex_prefix) == 0) {
          ++counts.not_modified;
          return "";
        }
      return "304 for an ETag no revision current during the request had";
    }
    if (r.status != 200) return "status " + std::to_string(r.status);
    if (!s.if_none_match.empty() && s.versioned) return "200 where the ETag still matches";
    std::string encoding = r.header("content-encoding");
    if (encoding.empty()) encoding = "identity";
    if (s.accept == "identity" && encoding != "identity") return "Content-Encoding " + encoding + " not asked for";
    if (r.header("etag") != etag_of_hex(hex_sha256(r.body))) return "ETag " + r.header("etag") + " is not the body's";
    std::string cache = r.header("cache-control");
    if (cache != (s.versioned ? "public, max-age=31536000, immutable" : "public, max-age=300"))
      return "Cache-Control " + cache;
    // Assets are small: a 1 MiB limit keeps each decode cheap under load.
    std::string decoded = encoding == "br"     ? lpweb_test::brotli_decode(r.body, 1 << 20)
                          : encoding == "gzip" ? lpweb_test::gzip_decode(r.body)
                                               : r.body;
    if (encoding != "identity" && encoding != "br" && encoding != "gzip") return "Content-Encoding " + encoding;
    std::string why = ledger_->matches(candidates, s.path, encoding, hex_sha256(decoded));
    if (why.empty()) ++counts.ok200;
    return why;
  }

  void record_failure(const std::string& what) {
    ++counts.failures;
    std::lock_guard<std::mutex> l(mu_);
    if (samples_.size() < 20) samples_.push_back(what);
  }

  void run(int index) {
    std::mt19937 rng(static_cast<unsigned>(index * 7919 + 1));
    LoadConnection conn(port_);
    while (!stopping_) {
      if (plan_.stop_after > 0 && counts.requests.fetch_add(1) >= plan_.stop_after) break;
      if (plan_.stop_after == 0) ++counts.requests;
      Sent s = pick(rng);
      std::string bytes = request_bytes(s);
      TimePoint start = Clock::now();
      Exchange x = conn.exchange(bytes);
      // The browser rule: a request on a reused keep-alive connection that the server
      // closed before sending any byte of the response (an idle connection closed by a
      // graceful restart or the keep-alive limit, racing our request) is sent again on
      // a new connection. Anything else (a fresh connection, or a partial response) is
      // a failure.
      if (!x.error.empty() && x.bytes_received == 0 && x.reused) {
        ++counts.retries;
        {
          std::lock_guard<std::mutex> l(counts.mu);
          ++counts.retry_reasons[x.error];
        }
        start = Clock::now();
        x = conn.exchange(bytes);
      }
      TimePoint end = Clock::now();
      ++counts.completed;
      std::string why = x.error.empty() ? judge(s, x.response, start, end) : x.error;
      if (!why.empty()) record_failure("GET " + s.target + " (" + s.host + ", " + s.accept + ", INM " +
                                       s.if_none_match + "): " + why);
    }
  }

  int port_;
  Ledger* ledger_;
  LoadPlan plan_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<std::string> samples_;
};

// ---- the httpd children -------------------------------------------------------------

struct ChildSample {
  int fds = 0;
  long rss_kb = 0;
};

// The request-serving children of httpd's parent: its children with more than one thread.
std::map<pid_t, ChildSample> sample_children(pid_t parent) {
  std::map<pid_t, ChildSample> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file("/proc/" + name + "/stat");
    std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));
    std::string state;
    long ppid = 0;
    fields >> state >> ppid;
    if (ppid != parent) continue;
    std::istringstream status(read_file("/proc/" + name + "/status"));
    long threads = 0, rss = 0;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Threads:", 0) == 0) threads = std::strtol(line.c_str() + 8, nullptr, 10);
      if (line.rfind("VmRSS:", 0) == 0) rss = std::strtol(line.c_str() + 6, nullptr, 10);
    }
    if (threads <= 1) continue;
    ChildSample s;
    s.rss_kb = rss;
    std::error_code fd_ec;
    for (auto fd = std::filesystem::directory_iterator("/proc/" + name + "/fd", fd_ec);
         !fd_ec && fd != std::filesystem::directory_iterator(); fd.increment(fd_ec))
      ++s.fds;
    out[static_cast<pid_t>(std::stol(name))] = s;
  }
  return out;
}

// ---- the fixture ----------------------------------------------------------------------

// The store is the tester's: the tool makes it at the first deploy and never changes user.
class ReliabilityTest : public IcingSiteTest {
 protected:
  ReliabilityTest() : IcingSiteTest(StoreOwner::tester) {}
  void SetUp() override {
    LPWEB_SKIP_WITHOUT_LPEDGE();
    IcingSiteTest::SetUp();
  }
  void TearDown() override {
    if (site_ && site_->running()) {
      site_->httpd().stop();
      // A crashed child is only a notice; it must never happen.
      EXPECT_EQ(site_->httpd().error_log().find("exit signal"), std::string::npos) << site_->httpd().error_log_tail(100);
    }
    IcingSiteTest::TearDown();
  }

  // The sources go once packed: the long forms pack thousands of revisions.
  std::string pack(const std::string& rev) {
    std::string bundle = site_->pack(rev, assets_of(rev));
    site_->remove_source(rev);
    return bundle;
  }

  // Deploys before httpd starts or while nothing is checking current.
  void deploy(const std::string& rev, std::vector<std::string> extra = {}) {
    CommandResult r = site_->deploy(pack(rev), std::move(extra));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ledger_.add_revision(rev);
  }

  // Runs a tool command that makes `rev` current, keeping the Ledger's spans right.
  void make_current(const std::string& rev, const std::vector<std::string>& args) {
    ledger_.current_may_change(rev, Clock::now());
    CommandResult r = run_tool(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ledger_.current_changed(rev, Clock::now());
    ASSERT_EQ(current_link(), rev);
  }

  void start(const std::string& mpm_settings = "") {
    site_->options.own_modules = {{"lpedge_module", LPWEB_MOD_LPEDGE}, {"lpicing_module", LPWEB_MOD_LPICING}};
    site_->options.mpm_settings = mpm_settings;
    // Not at trace8 in the trace run: half a million requests would write several hundred
    // MB of log per test, lines every other integration test already runs at trace8.
    site_->options.follow_trace_mode = false;
    Httpd& httpd = site_->prepare("LPEdgeRedirect edge.localhost localhost\n"
                                  "<Location /lpedge-status>\n  SetHandler lpedge-status\n</Location>\n");
    // A child that crashes leaves its core beside the logs (kept with LPWEB_KEEP_TEST_DIRS).
    struct rlimit core = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &core);
    site_->add_config("CoreDumpDirectory \"" + httpd.path("run") + "\"\n");
    start_prepared(*site_);
  }

  std::string current_link() {
    std::error_code ec;
    std::string target = std::filesystem::read_symlink(site_->store + "/current", ec).string();
    return target.rfind("revisions/", 0) == 0 ? target.substr(10) : "";
  }

  // Takes the store's writer lock, as every writer does; released when the result goes.
  std::shared_ptr<int> lock_store() {
    int fd = open((site_->store + "/.lock").c_str(), O_RDWR | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(flock(fd, LOCK_EX), 0);
    return std::shared_ptr<int>(new int(fd), [](int* p) {
      close(*p);
      delete p;
    });
  }

  // Rewrites a revision's INDEX as if it had been deployed `seconds` earlier: stands for
  // an hour passing, since prune keeps every revision of the last hour and the tool has
  // no clock to set. Under the writer lock, by rename, as the tool writes.
  void age_revision(const std::string& rev, std::int64_t seconds) {
    auto lock = lock_store();
    std::string index_path = site_->store + "/revisions/" + rev + "/INDEX";
    auto index = lpicing::RevisionIndex::load(index_path);
    ASSERT_TRUE(index) << index.error().message;
    lpicing::IndexHeader header = (*index)->header();
    header.deployed -= seconds;
    std::string tmp = site_->store + "/staging/INDEX.aged";
    write_file(tmp, lpicing::serialize_index(header, (*index)->entries()));
    ASSERT_EQ(rename(tmp.c_str(), index_path.c_str()), 0) << std::strerror(errno);
  }

  // What an operator removing a revision by hand should do, and prune does: under the
  // writer lock, rename it out of revisions/ at once, then delete it out of sight.
  void remove_by_hand(const std::string& rev) {
    auto lock = lock_store();
    std::string trash = site_->store + "/staging/" + rev + ".deleted.by-hand";
    ASSERT_EQ(rename((site_->store + "/revisions/" + rev).c_str(), trash.c_str()), 0) << std::strerror(errno);
    remove_tree(trash);
  }

  // "" when revisions/<rev> is complete: INDEX loads and names the revision, every file
  // it lists (and each variant) has the listed size and SHA-256, and SHA256SUMS holds.
  std::string revision_problem(const std::string& rev) {
    std::string dir = site_->store + "/revisions/" + rev;
    auto loaded = lpicing::RevisionIndex::load(dir + "/INDEX");
    if (!loaded) return rev + ": INDEX does not load: " + loaded.error().message;
    const std::unique_ptr<lpicing::RevisionIndex>& index = *loaded;
    if (index->header().revision != rev) return rev + ": INDEX names " + index->header().revision;
    std::string sums = read_file(dir + "/SHA256SUMS");
    if (sums.empty() || hex_sha256(sums) != index->header().sums_sha256_hex) return rev + ": SHA256SUMS differs from INDEX";
    auto check = [&](const std::string& rel, std::uint64_t size, const std::string& hex) -> std::string {
      struct stat st;
      if (stat((dir + "/files/" + rel).c_str(), &st) != 0) return rev + ": " + rel + " is missing";
      if (static_cast<std::uint64_t>(st.st_size) != size) return rev + ": " + rel + " has the wrong size";
      if (hex_sha256(read_file(dir + "/files/" + rel)) != hex) return rev + ": " + rel + " has the wrong SHA-256";
      return "";
    };
    for (const lpicing::IndexEntry& e : index->entries()) {
      if (auto p = check(e.path, e.size, lpicing::to_hex(e.sha256)); !p.empty()) return p;
      for (const lpicing::Variant& v : e.variants) {
        std::string rel = e.path + (v.encoding == lpicing::Encoding::br ? ".br" : ".gz");
        if (auto p = check(rel, v.size, lpicing::to_hex(v.sha256)); !p.empty()) return p;
      }
    }
    std::istringstream lines(sums);
    std::size_t listed = 0;
    for (std::string line; std::getline(lines, line); ++listed) {
      std::string hex = line.substr(0, 64), rel = line.substr(66);
      std::string bytes = read_file(rel == "REVISION" ? dir + "/REVISION" : dir + "/files/" + rel);
      if (hex_sha256(bytes) != hex) return rev + ": " + rel + " does not match SHA256SUMS";
    }
    if (listed != index->entries().size() + 1) return rev + ": SHA256SUMS and INDEX list different files";
    return "";
  }

  // Every revision in the store complete, and current (and previous) naming one of them.
  void expect_store_complete(const std::string& when) {
    std::set<std::string> present;
    for (const auto& e : std::filesystem::directory_iterator(site_->store + "/revisions")) {
      std::string rev = e.path().filename();
      present.insert(rev);
      EXPECT_EQ(revision_problem(rev), "") << when;
    }
    EXPECT_EQ(present.count(current_link()), 1u) << when << ": current is " << current_link();
    std::error_code ec;
    std::string previous = std::filesystem::read_symlink(site_->store + "/previous", ec).string();
    if (!ec) {
      EXPECT_EQ(present.count(previous.substr(10)), 1u) << when << ": previous is " << previous;
    }
  }

  // httpd serves every file of the current revision, by revision and unversioned.
  void expect_current_served(const std::string& when) {
    std::string rev = current_link();
    for (const auto& [path, bytes] : assets_of(rev)) {
      for (const std::string& target : {"/+icing/" + path, "/+icing/rev" + rev + "/" + path}) {
        Response r = get(site_->port(), "localhost", target);
        EXPECT_EQ(r.status, 200) << when << ": " << target << " " << r.error;
        EXPECT_TRUE(r.body == bytes) << when << ": " << target << " is not revision " << rev << "'s";
      }
    }
  }

  // Every object in the pool holds the bytes its name says (objects.h); a
  // killed run may leave some unlinked, never wrong.
  void expect_pool_sound(const std::string& when) {
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(site_->store + "/objects", ec)) {
      std::string name = e.path().filename();
      if (!e.is_regular_file() || name.size() != 64) continue;
      EXPECT_EQ(hex_sha256(read_file(e.path())), name) << when;
    }
  }
  // Pool entries no revision links (identity objects with one name).
  std::vector<std::string> unlinked_objects() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(site_->store + "/objects", ec)) {
      struct stat st;
      std::string name = e.path().filename();
      if (name.size() == 64 && lstat(e.path().c_str(), &st) == 0 && st.st_nlink == 1) out.push_back(name);
    }
    return out;
  }

  std::vector<std::string> store_entries(const std::string& sub) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(site_->store + sub)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  long edge_status_total() {
    Response r = get(site_->port(), "localhost", "/lpedge-status");
    EXPECT_EQ(r.status, 200) << r.error;
    std::size_t at = r.body.find("\"total\":");
    return at == std::string::npos ? -1 : std::strtol(r.body.c_str() + at + 8, nullptr, 10);
  }

  void report(const Load& load, double seconds) {
    const LoadCounts& c = load.counts;
    long requests = c.completed;
    std::map<std::string, long> figures = {{"requests", requests},           {"ok_200", c.ok200},
                                           {"not_modified_304", c.not_modified}, {"not_found_404", c.not_found},
                                           {"redirects_301", c.redirects},   {"retries", c.retries},
                                           {"failures", c.failures}};
    std::printf("[ figures  ] %.1f s", seconds);
    for (const auto& [name, value] : figures) {
      RecordProperty(name, std::to_string(value));
      std::printf(" %s=%ld", name.c_str(), value);
    }
    std::printf(" (%.0f requests/s)\n", requests / seconds);
    RecordProperty("seconds", std::to_string(seconds));
    for (const auto& [why, n] : load.counts.retry_reasons) std::printf("[ retried  ] %ld after: %s\n", n, why.c_str());
    for (const std::string& f : load.failure_samples()) std::printf("[ failure  ] %s\n", f.c_str());
    std::fflush(stdout);
  }

  Ledger ledger_;
};

// ---- 1. swapping revisions under load -------------------------------------------------

TEST_F(ReliabilityTest, SwapUnderLoad) {
  const bool longer = long_form();
  const int min_cycles = 20;
  const long min_requests = longer ? 200000 : 0;
  deploy("old-1");
  deploy("old-2");
  deploy("c-0");
  ledger_.current_may_change("c-0", TimePoint::min());
  ledger_.current_changed("c-0", TimePoint::min());
  std::map<int, std::string> bundles;  // packed ahead, so the cycles are all store changes
  for (int i = 1; i <= min_cycles; ++i) bundles[i] = pack("c-" + std::to_string(i));
  start();
  auto began = Clock::now();
  Load load(site_->port(), &ledger_, LoadPlan{{"old-1", "old-2"}});
  load.start(32);
  int cycles = 0, pruned = 0, removed_by_hand = 0;
  for (int i = 1; i <= min_cycles || load.counts.requests < min_requests; ++i, ++cycles) {
    const std::string rev = "c-" + std::to_string(i), before = "c-" + std::to_string(i - 1);
    std::string bundle = bundles.count(i) ? bundles[i] : pack(rev);
    ledger_.add_revision(rev);
    ASSERT_NO_FATAL_FAILURE(make_current(rev, {"deploy", bundle, "--store", site_->store}));  // deploy, and activate
    ASSERT_NO_FATAL_FAILURE(make_current(before, {"activate", before, "--store", site_->store}));  // roll back
    ASSERT_NO_FATAL_FAILURE(make_current(rev, {"activate", rev, "--store", site_->store}));        // and forward again
    ledger_.set_recent({rev, before, "c-" + std::to_string(std::max(i - 2, 0))});
    if (i < 2) continue;
    // c-(i-2) is neither current nor previous now: remove it while it is asked for.
    const std::string doomed = "c-" + std::to_string(i - 2);
    if (i % 2 == 0) {
      ASSERT_NO_FATAL_FAILURE(age_revision(doomed, 2 * 3600));
      ledger_.removal_begins(doomed, Clock::now());
      CommandResult r = run_tool({"prune", "--store", site_->store, "--keep", "1"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      ASSERT_EQ(r.out, "pruned revision " + doomed + "\n");
      ++pruned;
    } else {
      CommandResult r = run_tool({"prune", "--store", site_->store, "--keep", "1"});  // within the hour: nothing
      ASSERT_EQ(r.exit_code, 0) << r.err;
      ASSERT_EQ(r.out, "");
      ledger_.removal_begins(doomed, Clock::now());
      ASSERT_NO_FATAL_FAILURE(remove_by_hand(doomed));
      ++removed_by_hand;
    }
    ASSERT_FALSE(std::filesystem::exists(site_->store + "/revisions/" + doomed));
  }
  load.stop();
  double seconds = seconds_since(began);
  RecordProperty("cycles", std::to_string(cycles));
  std::printf("[ figures  ] %d cycles (deploy, roll back, roll forward), %d pruned by lpicing, %d removed by hand\n",
              cycles, pruned, removed_by_hand);
  report(load, seconds);
  EXPECT_EQ(load.counts.failures, 0);
  EXPECT_GE(load.counts.requests, min_requests);
  EXPECT_GT(load.counts.not_modified, 0);
  EXPECT_GT(load.counts.not_found, 0) << "no request reached a removed revision";
  EXPECT_EQ(store_entries("/staging"), std::vector<std::string>{});
  expect_store_complete("after the swaps");
}

// ---- 2. graceful restarts under load -----------------------------------------------

TEST_F(ReliabilityTest, GracefulRestartsUnderLoad) {
  const int restarts = long_form() ? 20 : 3;
  deploy("old-1");
  deploy("old-2");
  deploy("c-0");
  ledger_.current_may_change("c-0", TimePoint::min());
  ledger_.current_changed("c-0", TimePoint::min());
  start();
  auto began = Clock::now();
  LoadPlan plan{{"old-1", "old-2"}};
  plan.edge = true;
  Load load(site_->port(), &ledger_, plan);
  load.start(32);
  long last_total = 0;
  for (int i = 0; i < restarts; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the restart interval asked for
    long before = edge_status_total();
    std::string error;
    ASSERT_TRUE(site_->httpd().graceful(&error)) << error;
    long after = edge_status_total();
    EXPECT_GT(before, last_total) << "redirect counters did not move before restart " << i;
    EXPECT_GE(after, before) << "redirect counters went back across restart " << i;
    std::printf("[ restart  ] %d: /lpedge-status total %ld before, %ld after\n", i + 1, before, after);
    last_total = after;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // some load after the last restart
  load.stop();
  report(load, seconds_since(began));
  long total = edge_status_total();
  RecordProperty("lpedge_status_total", std::to_string(total));
  EXPECT_EQ(load.counts.failures, 0);
  EXPECT_GT(load.counts.redirects, 0);
  EXPECT_EQ(total, load.counts.redirects) << "/lpedge-status must count every redirect sent";
}

// ---- 3. the tool killed at each step of a store change -------------------------------

TEST_F(ReliabilityTest, CrashConsistency) {
  deploy("base-1");
  deploy("base-2");
  start();
  struct Case {
    std::string step, verb;
  };
  const std::vector<Case> cases = {{"after-staging", "deploy"},   {"after-flush", "deploy"},
                                   {"before-rename", "deploy"},   {"after-rename", "deploy"},
                                   {"during-activate", "deploy"}, {"during-adopt", "deploy"},
                                   {"during-activate", "activate"}, {"during-prune", "prune"},
                                   {"during-gc", "prune"}};
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.step + " in " + c.verb);
    ++n;
    const std::string rev = "crash-" + std::to_string(n), was_current = current_link();
    std::error_code link_ec;
    const std::string was_current_link = std::filesystem::read_symlink(site_->store + "/current", link_ec).string();
    const std::string was_previous_link = std::filesystem::read_symlink(site_->store + "/previous", link_ec).string();
    std::vector<std::string> args;
    std::string bundle;
    if (c.verb == "deploy") {
      bundle = pack(rev);
      args = {"deploy", bundle, "--store", site_->store};
    } else if (c.verb == "activate") {
      deploy(rev, {"--no-activate"});
      args = {"activate", rev, "--store", site_->store};
    } else {
      deploy(rev, {"--no-activate"});
      age_revision(rev, 2 * 3600);
      args = {"prune", "--store", site_->store, "--keep", "1"};
    }
    CommandResult killed = run_tool(args, 0, {"LPICING_FAULT=" + c.step});
    ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "not killed at " << c.step << ": " << killed.err << killed.out;
    // What the killed run left behind, for the next writer to clean up.
    std::vector<std::string> leftovers = store_entries("/staging");
    for (const std::string& e : store_entries(""))
      if (e.find(".tmp.") != std::string::npos) leftovers.push_back(e);
    std::string listed;
    for (const std::string& e : leftovers) listed += " " + e;
    std::error_code ec;
    std::printf("[ killed   ] at %s in %s: exit %d, current %s, previous %s, left%s\n", c.step.c_str(),
                c.verb.c_str(), killed.exit_code, current_link().c_str(),
                std::filesystem::read_symlink(site_->store + "/previous", ec).c_str(),
                leftovers.empty() ? " nothing" : listed.c_str());
    // Past the rename (and past the prune's own removal), nothing is left in staging.
    bool none_left = c.step == "after-rename" || c.step == "during-adopt" || c.step == "during-gc";
    EXPECT_EQ(leftovers.empty(), none_left) << "leftovers:" << listed;
    // Killed between the rename and the flip, a deploy leaves its intent for the next writer.
    EXPECT_EQ(std::filesystem::is_symlink(site_->store + "/activating"),
              c.verb == "deploy" && (c.step == "after-rename" || c.step == "during-activate"));

    expect_store_complete("after a kill at " + c.step);
    bool in_store = std::filesystem::exists(site_->store + "/revisions/" + rev);
    bool renamed = c.step == "after-rename" || c.step == "during-activate" || c.step == "during-adopt";
    EXPECT_EQ(in_store, renamed) << "revision " << rev;
    expect_pool_sound("after a kill at " + c.step);
    if (c.step == "during-adopt") {
      // Killed while pooling its files: the revision is in place and current already.
      EXPECT_EQ(current_link(), rev);
      EXPECT_EQ(std::filesystem::read_symlink(site_->store + "/previous", link_ec).string(), was_current_link);
    } else {
      EXPECT_EQ(current_link(), was_current) << "a killed change must not have moved current";
      // Nor lost the pin of the revision before it (invariant 5).
      EXPECT_EQ(std::filesystem::read_symlink(site_->store + "/previous", link_ec).string(), was_previous_link);
    }
    expect_current_served("after a kill at " + c.step);

    // The operator's retry, or for activate and prune the next deploy: it must succeed
    // and clean up what the killed run left in staging.
    std::string next = c.verb == "deploy" ? rev : rev + "-next";
    CommandResult retry = run_tool({"deploy", c.verb == "deploy" ? bundle : pack(next), "--store", site_->store});
    ASSERT_EQ(retry.exit_code, 0) << retry.err;
    EXPECT_EQ(current_link(), next);
    EXPECT_EQ(std::filesystem::read_symlink(site_->store + "/previous", link_ec).string(), was_current_link);
    EXPECT_EQ(store_entries("/staging"), std::vector<std::string>{});
    expect_pool_sound("after the deploy that followed a kill at " + c.step);
    EXPECT_FALSE(std::filesystem::is_symlink(site_->store + "/activating"));
    for (const std::string& e : store_entries("")) {
      EXPECT_EQ(e.find(".tmp."), std::string::npos) << "leftover " << e;
    }
    expect_store_complete("after the deploy that followed a kill at " + c.step);
    expect_current_served("after the deploy that followed a kill at " + c.step);
    if (HasFatalFailure()) return;
  }
  // What the prune killed while collecting left unlinked, the next prune collects,
  // though it removes no revision: the killed one's mark says the pool is due.
  EXPECT_TRUE(std::filesystem::exists(site_->store + "/objects.gc-pending"));
  EXPECT_NE(unlinked_objects(), std::vector<std::string>{});
  CommandResult prune = run_tool({"prune", "--store", site_->store, "--keep", "100"});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_EQ(unlinked_objects(), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists(site_->store + "/objects.gc-pending"));
  expect_store_complete("after the last prune");
}

// ---- 4. soak: no fd or memory growth in the children --------------------------------

TEST_F(ReliabilityTest, Soak) {
  const long requests = long_form() ? 1000000 : 20000, warm_up = long_form() ? 50000 : 5000;
  const long rss_bound_kb = 2048;
  deploy("old-1");
  deploy("c-0");
  ledger_.current_may_change("c-0", TimePoint::min());
  ledger_.current_changed("c-0", TimePoint::min());
  // A fixed set of children, so the same processes are compared at start and end.
  start("StartServers 2\nServerLimit 2\nThreadsPerChild 16\nMaxRequestWorkers 32\n"
        "MinSpareThreads 1\nMaxSpareThreads 64\n");
  pid_t parent = static_cast<pid_t>(std::stol(read_file(site_->httpd().path("run/httpd.pid"))));
  LoadPlan plan{{"old-1"}};
  plan.edge = true;
  // Samples once the clients have gone and their connections are closed on both sides.
  auto settled_sample = [&] {
    std::map<pid_t, ChildSample> last = sample_children(parent), now;
    for (int i = 0; i < 25; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // lingering close
      now = sample_children(parent);
      bool same = now.size() == last.size();
      for (const auto& [pid, s] : now) same = same && last.count(pid) && last[pid].fds == s.fds;
      if (same) break;
      last = now;
    }
    return now;
  };
  {
    plan.stop_after = warm_up;
    Load load(site_->port(), &ledger_, plan);
    load.start(16);
    load.wait();
    ASSERT_EQ(load.counts.failures, 0) << load.failure_samples().front();
  }
  std::map<pid_t, ChildSample> start_sample = settled_sample();
  auto began = Clock::now();
  plan.stop_after = requests;
  Load load(site_->port(), &ledger_, plan);
  load.start(16);
  load.wait();
  double seconds = seconds_since(began);
  std::map<pid_t, ChildSample> end_sample = settled_sample();
  report(load, seconds);
  EXPECT_EQ(load.counts.failures, 0);
  ASSERT_EQ(start_sample.size(), 2u);
  for (const auto& [pid, s] : start_sample) {
    ASSERT_EQ(end_sample.count(pid), 1u) << "child " << pid << " went away during the soak";
    const ChildSample& e = end_sample[pid];
    std::printf("[ child    ] pid %d: fds %d -> %d, VmRSS %ld kB -> %ld kB (%+ld kB)\n", pid, s.fds, e.fds, s.rss_kb,
                e.rss_kb, e.rss_kb - s.rss_kb);
    std::string tag = "child" + std::to_string(pid);
    RecordProperty(tag + "_fds", std::to_string(s.fds) + "->" + std::to_string(e.fds));
    RecordProperty(tag + "_rss_kb", std::to_string(s.rss_kb) + "->" + std::to_string(e.rss_kb));
    EXPECT_LE(e.fds, s.fds) << "open fds grew in child " << pid;
    // ASan holds freed memory back on purpose (use-after-free detection): no RSS bound there.
    if (!sanitized_build()) {
      EXPECT_LE(e.rss_kb - s.rss_kb, rss_bound_kb) << "RSS grew in child " << pid;
    }
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace lpweb::test
