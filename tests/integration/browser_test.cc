// A zero-glitch rollout in a real browser: Debian's headless Chromium, driven by
// chromedriver over the W3C WebDriver protocol, loads two page versions alternately from
// two httpd instances while `current` flips, a third bundle is deployed and an old one is
// pruned; every subresource must arrive with 200 and its revision's exact bytes. Also: an
// edge URL followed by the browser ends on the identical production URL.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client.h"
#include "crypto.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kChromedriver[] = "/usr/bin/chromedriver";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string sha256_hex(const std::string& bytes) { return lpicing::to_hex(lpicing::sha256_of(bytes)); }

// ---- a WebDriver client over libcurl ---------------------------------------------------

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One HTTP exchange with chromedriver; the response's JSON, or throws.
json webdriver_http(const std::string& method, const std::string& url, const json& body, long* status) {
  CURL* c = curl_easy_init();
  if (!c) throw std::runtime_error("curl_easy_init failed");
  std::string payload = body.is_null() ? "" : body.dump();
  std::string out;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  CURLcode rc = curl_easy_perform(c);
  *status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) throw std::runtime_error(method + " " + url + ": " + curl_easy_strerror(rc));
  json parsed = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw std::runtime_error(method + " " + url + ": not JSON: " + out.substr(0, 300));
  return parsed;
}

// chromedriver as our child in its own process group (the browser joins that group, so
// one signal stops both), and one headless Chromium session with the HTTP cache off:
// every page load goes to the servers.
class Browser {
 public:
  explicit Browser(std::string dir) : dir_(std::move(dir)) {}
  ~Browser() { stop(); }
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  bool start(std::string* error) {
    for (const char* binary : {kChromium, kChromedriver})
      if (access(binary, X_OK) != 0) {
        *error = std::string(binary) + " is missing: install chromium and chromium-driver (tests/setup.sh does)";
        return false;
      }
    for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) {
      if (!start_driver(error)) return false;
      if (wait_until_ready(error)) break;
      stop();
      if (attempt == 2) return false;
    }
    json caps = {{"capabilities",
                  {{"alwaysMatch",
                    {{"browserName", "chrome"},
                     {"pageLoadStrategy", "normal"},
                     {"goog:chromeOptions",
                      {{"binary", kChromium},
                       {"args",
                        {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-proxy-server", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-extensions",
                         "--user-data-dir=" + dir_ + "/profile"}}}}}}}}};
    try {
      json created = call("POST", "/session", caps);
      session_ = created.at("sessionId").get<std::string>();
      session_call("POST", "/timeouts", {{"pageLoad", 20000}, {"script", 20000}});
      cdp("Network.enable", json::object());
      cdp("Network.setCacheDisabled", {{"cacheDisabled", true}});
    } catch (const std::exception& e) {
      *error = std::string("cannot start a headless Chromium session: ") + e.what() + "\nchromedriver log:\n" +
               read_file(dir_ + "/chromedriver.log").substr(0, 4000);
      return false;
    }
    return true;
  }

  void stop() {
    if (!session_.empty()) {
      try {
        call("DELETE", "/session/" + session_, nullptr);  // quits the browser
      } catch (const std::exception&) { /* the signal below stops it anyway */ }
      session_.clear();
    }
    if (pid_ <= 0) return;
    kill(-pid_, SIGTERM);
    auto start = Clock::now();
    siginfo_t info{};
    // Waits for the driver's exit without reaping it: its zombie keeps the group's id ours
    // until whatever browser process outlived it has been killed too.
    while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0 &&
           seconds_since(start) < 10)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    kill(-pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // `path` below the session, e.g. "/url"; the W3C "value" of the answer.
  json session_call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return call(method, "/session/" + session_ + path, body);
  }
  void navigate(const std::string& url) { session_call("POST", "/url", {{"url", url}}); }
  std::string current_url() { return session_call("GET", "/url").get<std::string>(); }
  json execute(const std::string& script, const json& args) {
    return session_call("POST", "/execute/sync", {{"script", script}, {"args", args}});
  }
  json execute_async(const std::string& script, const json& args) {
    return session_call("POST", "/execute/async", {{"script", script}, {"args", args}});
  }
  json cdp(const std::string& command, const json& params) {
    return session_call("POST", "/goog/cdp/execute", {{"cmd", command}, {"params", params}});
  }

 private:
  bool start_driver(std::string* error) {
    port_ = free_loopback_port();
    std::string port_arg = "--port=" + std::to_string(port_);
    std::string log_arg = "--log-path=" + dir_ + "/chromedriver.log";
    // In a process group of its own, which the browser joins; its config and cache
    // (crash reports too) stay in the test's directory.
    lpweb_test::SpawnOptions spawn;
    spawn.output_file = dir_ + "/chromedriver.out";
    spawn.env = {"XDG_CONFIG_HOME=" + dir_ + "/config", "XDG_CACHE_HOME=" + dir_ + "/cache"};
    spawn.own_process_group = true;
    pid_ = lpweb_test::spawn_process({kChromedriver, port_arg, log_arg, "--allowed-ips=127.0.0.1"}, spawn, error);
    return pid_ > 0;
  }

  bool wait_until_ready(std::string* error) {
    auto start = Clock::now();
    while (seconds_since(start) < 20) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        *error = "chromedriver exited during start-up:\n" + read_file(dir_ + "/chromedriver.out");
        return false;
      }
      try {
        long code = 0;
        json s = webdriver_http("GET", base() + "/status", nullptr, &code);
        if (s.at("value").value("ready", false)) return true;
      } catch (const std::exception&) { /* not listening yet */ }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval of a readiness check
    }
    *error = "chromedriver did not become ready within 20 s:\n" + read_file(dir_ + "/chromedriver.out");
    return false;
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  json call(const std::string& method, const std::string& path, const json& body) {
    long code = 0;
    json answer = webdriver_http(method, base() + path, body, &code);
    const json& value = answer.contains("value") ? answer["value"] : answer;
    if (code != 200) {
      std::string what = value.is_object() ? value.value("error", "") + ": " + value.value("message", "") : answer.dump();
      throw std::runtime_error("WebDriver " + method + " " + path + " gave " + std::to_string(code) + ": " +
                               what.substr(0, 1000));
    }
    return value;
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string session_;
};

// ---- one revision's assets and its app-server page ---------------------------------------

// An 8-bit greyscale PNG of the given size (zlib for IDAT, as any encoder does).
std::string png(int width, int height, int shade) {
  auto put32 = [](std::string& s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  auto chunk = [&](const char* type, const std::string& data) {
    std::string body = std::string(type, 4) + data;
    std::string out;
    put32(out, static_cast<std::uint32_t>(data.size()));
    out += body;
    put32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
    return out;
  };
  std::string header;
  put32(header, static_cast<std::uint32_t>(width));
  put32(header, static_cast<std::uint32_t>(height));
  header += {8, 0, 0, 0, 0};  // bit depth 8, greyscale, deflate, no filter, no interlace
  std::string raw;
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    for (int x = 0; x < width; ++x) raw.push_back(static_cast<char>((shade + x * 3 + y * 5) & 0xff));
  }
  uLongf size = compressBound(raw.size());
  std::string deflated(size, '\0');
  compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
            raw.size(), 9);
  deflated.resize(size);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + chunk("IDAT", deflated) + chunk("IEND", "");
}

// What revision R's assets make the page show; each value differs between revisions.
struct Looks {
  explicit Looks(int r)
      : color("rgb(" + std::to_string(r % 256) + ", " + std::to_string(r * 7 % 256) + ", " +
              std::to_string(r * 13 % 256) + ")"),
        box_width(100 + r % 50), box_height(20 + r % 40), box_margin(3 + r % 7),
        image_width(16 + r % 50), image_height(9 + r % 30) {}
  std::string color;
  int box_width, box_height, box_margin, image_width, image_height;
};

// Revision R's source tree.
Files files_of(int r) {
  const std::string rev = "rev" + std::to_string(r);
  Looks looks(r);
  std::string css = ":root { --lp-rev: " + rev + "; }\nbody { color: " + looks.color + "; }\n";
  for (int i = 0; i < 150; ++i) css += ".filler-" + std::to_string(i) + " { margin: 0 auto; padding: 1px; }\n";
  std::string js = "window.__lp_marker = '" + rev + "';\n";
  for (int i = 0; i < 60; ++i) js += "// filler line " + std::to_string(i) + " of the application script\n";
  return {
      {"css/app.css", css},
      // The combo's two halves: b.css overrides a.css's width, so the order shows.
      {"css/a.css", "#combo-css { width: 11px; margin-left: " + std::to_string(looks.box_margin) + "px; }\n"},
      {"css/b.css", "#combo-css { width: " + std::to_string(looks.box_width) + "px; height: " +
                        std::to_string(looks.box_height) + "px; }\n"},
      {"js/app.js", js},
      // b.js throws unless a.js ran first in the same combo response.
      {"js/a.js", "window.__lp_combo = ['a-" + rev + "'];\n"},
      {"js/b.js", "window.__lp_combo.push('b-" + rev + "');\n"},
      {"img/logo.png", png(looks.image_width, looks.image_height, r)},
  };
}

struct Subresource {
  std::string kind;   // css, combo-css, js, combo-js, img
  std::string path;   // URL path and query, as the page names it
  std::vector<std::string> files;  // the revision's files it is made of, in order
};

std::vector<Subresource> subresources_of(int r) {
  const std::string p = "/+icing/rev" + std::to_string(r) + "/";
  const std::string combo = "/+icing/+combo/rev" + std::to_string(r) + "/?";
  return {{"css", p + "css/app.css", {"css/app.css"}},
          {"combo-css", combo + "css/a.css&css/b.css", {"css/a.css", "css/b.css"}},
          {"js", p + "js/app.js", {"js/app.js"}},
          {"combo-js", combo + "js/a.js&js/b.js", {"js/a.js", "js/b.js"}},
          {"img", p + "img/logo.png", {"img/logo.png"}}};
}

std::string html_attribute(std::string s) {
  for (std::size_t at = s.find('&'); at != std::string::npos; at = s.find('&', at + 5)) s.replace(at, 1, "&amp;");
  return s;
}

// The app server's page for revision R: static HTML naming only revision R's URLs.
std::string page_html(int r) {
  auto subs = subresources_of(r);
  std::string h = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>app rev" + std::to_string(r) +
                  "</title>\n<link rel=\"icon\" href=\"data:,\">\n";
  for (const Subresource& s : subs)
    if (s.kind == "css" || s.kind == "combo-css")
      h += "<link rel=\"stylesheet\" href=\"" + html_attribute(s.path) + "\">\n";
  for (const Subresource& s : subs)
    if (s.kind == "js" || s.kind == "combo-js") h += "<script src=\"" + html_attribute(s.path) + "\"></script>\n";
  h += "</head><body>\n<div id=\"combo-css\"></div>\n<img id=\"logo\" alt=\"\" src=\"" + subs[4].path +
       "\">\n</body></html>\n";
  return h;
}

// Runs in the page after its load event: what the page shows and, from Resource Timing,
// how each subresource arrived.
constexpr char kPageStateScript[] = R"JS(
const paths = arguments[0];
const entries = performance.getEntriesByType('resource');
const nav = performance.getEntriesByType('navigation')[0];
const resources = {};
for (const p of paths) {
  const href = new URL(p, location.href).href;
  const e = entries.filter(x => x.name === href);
  resources[p] = e.length === 0 ? null : {count: e.length, status: e[0].responseStatus,
      transfer: e[0].transferSize, encoded: e[0].encodedBodySize, decoded: e[0].decodedBodySize};
}
const box = getComputedStyle(document.getElementById('combo-css'));
const img = document.getElementById('logo');
return {
  url: location.href, status: nav ? nav.responseStatus : 0, resources: resources,
  marker: window.__lp_marker === undefined ? null : String(window.__lp_marker),
  combo: Array.isArray(window.__lp_combo) ? window.__lp_combo.join(',') : null,
  color: getComputedStyle(document.body).color,
  revision: getComputedStyle(document.documentElement).getPropertyValue('--lp-rev').trim(),
  box: [box.width, box.height, box.marginLeft],
  image: [img.complete, img.naturalWidth, img.naturalHeight]
};
)JS";

// Fetches each path again from the page, past the cache, and hashes the bytes.
constexpr char kDigestScript[] = R"JS(
const done = arguments[arguments.length - 1];
Promise.all(arguments[0].map(async p => {
  try {
    const r = await fetch(p, {cache: 'no-store'});
    const d = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
    return {status: r.status, sha256: Array.from(new Uint8Array(d), b => b.toString(16).padStart(2, '0')).join('')};
  } catch (e) {
    return {status: 0, error: String(e)};
  }
})).then(done);
)JS";

// Checks per kind of subresource, so a failing kind (say, the combo loader) stands apart.
struct Tally {
  struct Kind {
    int checked = 0, failed = 0;
    std::string first_failure;
  };
  std::map<std::string, Kind> kinds;
  int page_loads = 0, subresources = 0, compressed = 0;

  void check(const std::string& kind, bool ok, const std::string& what) {
    Kind& k = kinds[kind];
    ++k.checked;
    if (!ok && k.failed++ == 0) k.first_failure = what;
  }
};

// The bytes each subresource of revision R must have, from the source tree the test
// wrote (files_of), never from the store: combos as their files concatenated in order.
struct Expected {
  std::string bytes, sha256;
};

std::map<std::string, Expected> expected_bytes(const std::string& src, int r, std::string* problem) {
  std::map<std::string, Expected> out;
  for (const Subresource& s : subresources_of(r)) {
    Expected e;
    for (const std::string& f : s.files) {
      if (!std::filesystem::is_regular_file(src + "/" + f)) *problem += f + " is not in the source tree; ";
      e.bytes += read_file(src + "/" + f);
    }
    e.sha256 = sha256_hex(e.bytes);
    out[s.path] = e;
  }
  return out;
}

// One page load of revision R from `port`, every subresource checked.
void load_and_check(Browser& browser, int port, int r, const std::map<std::string, Expected>& expected,
                    Tally* tally) {
  const std::string rev = "rev" + std::to_string(r);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/app/" + rev + ".html";
  const auto subs = subresources_of(r);
  json paths = json::array();
  for (const Subresource& s : subs) paths.push_back(s.path);
  browser.navigate(url);
  json state = browser.execute(kPageStateScript, json::array({paths}));
  json digests = browser.execute_async(kDigestScript, json::array({paths}));
  ++tally->page_loads;
  const std::string where = rev + " page from :" + std::to_string(port) + ": ";
  tally->check("page", state.value("url", "") == url && state.value("status", 0) == 200,
               where + "document " + state.value("url", "") + " status " + std::to_string(state.value("status", 0)));

  for (std::size_t i = 0; i < subs.size(); ++i) {
    const Subresource& s = subs[i];
    const Expected& want = expected.at(s.path);
    ++tally->subresources;
    const json& e = state["resources"][s.path];
    if (e.is_null()) {
      tally->check(s.kind, false, where + s.path + " has no Resource Timing entry: the page never requested it");
    } else {
      int status = e.value("status", 0);
      long long decoded = e.value("decoded", -1LL), transfer = e.value("transfer", -1LL);
      if (e.value("encoded", 0LL) < decoded) ++tally->compressed;
      tally->check(s.kind, status == 200, where + s.path + " loaded with status " + std::to_string(status));
      tally->check(s.kind, decoded == static_cast<long long>(want.bytes.size()),
                   where + s.path + " loaded " + std::to_string(decoded) + " bytes, the revision's file has " +
                       std::to_string(want.bytes.size()));
      tally->check(s.kind, transfer > 0, where + s.path + " came from the browser's cache, not the server");
    }
    const json& d = digests.at(i);
    tally->check(s.kind, d.value("status", 0) == 200 && d.value("sha256", "") == want.sha256,
                 where + s.path + " fetched again: status " + std::to_string(d.value("status", 0)) + " sha256 " +
                     d.value("sha256", d.value("error", "")) + ", want " + want.sha256);
  }

  Looks looks(r);
  auto text = [](const json& j) { return j.is_null() ? std::string("(unset)") : j.dump(); };
  tally->check("js", state["marker"] == rev, where + "window.__lp_marker is " + text(state["marker"]));
  tally->check("combo-js", state["combo"] == "a-" + rev + ",b-" + rev,
               where + "combo script marker is " + text(state["combo"]));
  tally->check("css", state.value("color", "") == looks.color && state.value("revision", "") == rev,
               where + "body color " + state.value("color", "") + " --lp-rev " + state.value("revision", "") +
                   ", want " + looks.color + " " + rev);
  json want_box = {std::to_string(looks.box_width) + "px", std::to_string(looks.box_height) + "px",
                   std::to_string(looks.box_margin) + "px"};
  tally->check("combo-css", state["box"] == want_box, where + "combo stylesheet box " + state["box"].dump() +
                                                          ", want " + want_box.dump());
  json want_image = {true, looks.image_width, looks.image_height};
  tally->check("img", state["image"] == want_image,
               where + "image complete/naturalWidth/naturalHeight " + state["image"].dump() + ", want " +
                   want_image.dump());
}

// ---- the fleet: two httpd instances, each with its own store and drop directory ----------

// The revision a server's status page names current; "" when it names none.
std::string current_of(const IcingSite& server) {
  Response r = server.get("/lpicing-status");
  json j = json::parse(r.body, nullptr, false);
  return j.is_object() && j["current"].is_string() ? j["current"].get<std::string>() : "";
}

// `lpicing wait`: exit 0 once every server has revision `rev`, 4 naming the laggards.
CommandResult fleet_gate(const std::string& rev, int timeout_seconds, const std::vector<const IcingSite*>& fleet) {
  std::vector<std::string> args = {"wait", "--rev", rev, "--timeout", std::to_string(timeout_seconds)};
  for (const IcingSite* s : fleet) args.push_back(s->status_url());
  return run_tool(args);
}

constexpr int kOld = 699, kN = 700, kNext = 701, kThird = 702;
constexpr int kPageLoads = 40;
constexpr int kLoadsAfterPrune = 4;

// The fleet: two httpd instances, each a site with its own store and drop directory.
class BrowserRolloutTest : public IcingSiteTest {
 protected:
  void SetUp() override {
    IcingSiteTest::SetUp();
    second_ = &add_site("browser-b");
  }

  // Packs revision R in the first site's directory.
  std::string pack(int r) { return site_->pack(std::to_string(r), files_of(r)); }

  void start_server(IcingSite& s) {
    Httpd& httpd = s.prepare(s.drop_config() + "LPIcingKeep 5\n");
    std::filesystem::create_directories(httpd.path("htdocs/app"));
    for (int r : {kN, kNext}) write_file(httpd.path("htdocs/app/rev" + std::to_string(r) + ".html"), page_html(r));
    start_prepared(s);
  }

  IcingSite* second_ = nullptr;
};

// The operator's side of the rollout, run beside the page loads: flips, a deploy, a prune.
struct Operator {
  std::atomic<bool> stop{false}, finished{false};
  std::mutex mutex;
  std::vector<std::string> failures;
  int flips = 0;
  CommandResult third_gate, prune[2];
  int third_live_at = -1, pruned_at = -1;  // page loads done when each had happened

  void fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    failures.push_back(what);
  }
};

TEST_F(BrowserRolloutTest, EverySubresourceLoadsWholeWhileCurrentFlipsADeployLandsAndAPruneRuns) {
  // Revision N-1 was deployed two hours ago (out of the pruning grace); N is live.
  std::string bundles[4] = {pack(kOld), pack(kN), pack(kNext), pack(kThird)};
  IcingSite& a = *site_;
  IcingSite& b = *second_;
  for (IcingSite* s : {&a, &b}) {
    // The watcher's user owns the store; the tool then writes as it.
    ASSERT_NO_FATAL_FAILURE(s->deploy_at(bundles[0], static_cast<std::int64_t>(time(nullptr)) - 2 * 3600));
    CommandResult c = s->deploy(bundles[1]);
    ASSERT_EQ(c.exit_code, 0) << c.err;
  }
  ASSERT_NO_FATAL_FAILURE(start_server(a));
  ASSERT_NO_FATAL_FAILURE(start_server(b));
  const std::vector<const IcingSite*> fleet = {&a, &b};

  Browser browser(a.dir);
  std::string error;
  ASSERT_TRUE(browser.start(&error)) << error;

  // Bundle N+1 reaches server A only: the gate must hold, naming B.
  a.drop(bundles[2], "release-701.tar.gz");
  CommandResult held = fleet_gate(std::to_string(kNext), 1, fleet);
  EXPECT_EQ(held.exit_code, 4) << "fleet gate with B lagging: " << held.out << held.err;
  EXPECT_NE((held.out + held.err).find(b.status_url()), std::string::npos)
      << "the gate must name the lagging server:\n" << held.out << held.err;
  // Then B as well: the gate opens, and only then is page N+1 handed out.
  b.drop(bundles[2], "release-701.tar.gz");
  CommandResult open = fleet_gate(std::to_string(kNext), 30, fleet);
  EXPECT_EQ(open.exit_code, 0) << "fleet gate for " << kNext << ": " << open.out << open.err;
  if (open.exit_code != 0) {  // keep going, so the browser's checks still report
    ASSERT_TRUE(eventually([&] { return current_of(a) == "701" && current_of(b) == "701"; }, 10))
        << a.httpd().error_log() << b.httpd().error_log();
  }

  std::map<std::string, Expected> expected;
  for (int r : {kN, kNext}) {
    std::string problem;
    for (auto& [path, e] : expected_bytes(a.source_dir(std::to_string(r)), r, &problem)) expected[path] = e;
    ASSERT_EQ(problem, "");
  }

  std::atomic<int> loads{0};
  Operator op;
  auto activate_everywhere = [&](int r) {
    for (IcingSite* s : {&a, &b}) {
      CommandResult c = run_tool({"activate", std::to_string(r), "--store", s->store});
      if (c.exit_code != 0) op.fail("activate " + std::to_string(r) + ": " + c.err);
    }
    ++op.flips;
  };
  auto flip_until = [&](int load_count) {
    while (loads < load_count && !op.stop) activate_everywhere(op.flips % 2 ? kN : kNext);
  };
  std::thread operator_thread([&] {
    flip_until(kPageLoads / 3);
    // A third bundle lands on the whole fleet through the drop directories.
    a.drop(bundles[3], "release-702.tar.gz");
    b.drop(bundles[3], "release-702.tar.gz");
    op.third_gate = fleet_gate(std::to_string(kThird), 30, fleet);
    if (op.third_gate.exit_code != 0)
      eventually([&] { return current_of(a) == "702" && current_of(b) == "702"; }, 10);
    op.third_live_at = loads;
    flip_until(2 * kPageLoads / 3);
    // N-1 is neither current nor previous and out of the grace: keep 2 removes it alone.
    for (int i = 0; i < 2; ++i) op.prune[i] = run_tool({"prune", "--store", (i ? b : a).store, "--keep", "2"});
    op.pruned_at = loads;
    // Pages keep loading, and current keeps flipping, a while after the prune.
    flip_until(std::max(kPageLoads, op.pruned_at + kLoadsAfterPrune));
    op.finished = true;
  });
  // Stops and joins the operator whatever happens in the browser.
  struct Joiner {
    Operator& op;
    std::thread& t;
    ~Joiner() {
      op.stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{op, operator_thread};

  Tally tally;
  auto start = Clock::now();
  // At least kPageLoads, and on until the operator is done (a slow deploy delays it).
  for (int i = 0; i < kPageLoads || !op.finished; ++i) {
    if (seconds_since(start) > 90) {
      ADD_FAILURE() << "the operator's steps did not finish within 90 s of page loads";
      break;
    }
    // N, N+1, N, N+1 ... from A, A, B, B, A, A ...: each page version from each server.
    int r = i % 2 ? kNext : kN;
    IcingSite& s = (i / 2) % 2 ? b : a;
    try {
      load_and_check(browser, s.port(), r, expected, &tally);
    } catch (const std::exception& e) {  // a WebDriver error: the page failed in a way the scripts could not report
      tally.check("page", false, "rev" + std::to_string(r) + " page from :" + std::to_string(s.port()) +
                                     ": " + e.what());
    }
    ++loads;
  }
  double seconds = seconds_since(start);
  op.stop = true;
  operator_thread.join();

  // The operator's side happened, and all of it during the page loads.
  EXPECT_TRUE(op.failures.empty()) << op.failures.front();
  EXPECT_GT(op.flips, 2) << "current hardly flipped during the page loads";
  EXPECT_GT(op.third_live_at, 0) << "the third bundle went live before any page load";
  EXPECT_LT(op.third_live_at, op.pruned_at) << "the third bundle went live only after the prune";
  EXPECT_GE(tally.page_loads, op.pruned_at + kLoadsAfterPrune) << "too few page loads after the prune";
  EXPECT_EQ(op.third_gate.exit_code, 0) << "fleet gate for " << kThird << ": " << op.third_gate.out
                                        << op.third_gate.err;
  for (int i = 0; i < 2; ++i) {
    const IcingSite& s = i ? b : a;
    EXPECT_EQ(op.prune[i].exit_code, 0) << op.prune[i].err;
    EXPECT_FALSE(std::filesystem::exists(s.store + "/revisions/699")) << "prune left revision 699";
    for (int r : {kN, kNext, kThird})
      EXPECT_TRUE(std::filesystem::exists(s.store + "/revisions/" + std::to_string(r))) << "prune removed " << r;
    EXPECT_EQ(get(s.port(), "localhost", "/+icing/rev699/css/app.css").status, 404);
    EXPECT_EQ(get(s.port(), "localhost", "/+icing/rev702/css/app.css").status, 200);
  }

  std::ostringstream summary;
  summary << tally.page_loads << " page loads in " << seconds << " s, " << tally.subresources
          << " subresources checked (" << tally.compressed << " arrived compressed), " << op.flips
          << " flips of current on each server, the third bundle live after load " << op.third_live_at
          << ", the prune done after load " << op.pruned_at;
  for (const auto& [kind, k] : tally.kinds) summary << "; " << kind << " " << k.checked - k.failed << "/" << k.checked;
  std::cout << "[ browser  ] " << summary.str() << "\n";
  RecordProperty("page_loads", tally.page_loads);
  RecordProperty("subresources_checked", tally.subresources);
  RecordProperty("current_flips", op.flips);
  EXPECT_GE(tally.page_loads, kPageLoads);
  // One line per kind; a kind that fails says so alone (e.g. combo-css and combo-js
  // while the combo loader is missing).
  for (const char* kind : {"page", "css", "js", "img", "combo-css", "combo-js"}) {
    const Tally::Kind& k = tally.kinds[kind];
    EXPECT_GT(k.checked, 0) << kind;
    EXPECT_EQ(k.failed, 0) << kind << ": " << k.failed << " of " << k.checked
                           << " checks failed; first: " << k.first_failure;
  }
}

// ---- the edge host, followed by the browser ----------------------------------------------

TEST(BrowserEdgeTest, FollowingAnEdgeUrlEndsOnTheIdenticalProductionUrl) {
  LPWEB_SKIP_WITHOUT_LPEDGE();
  std::string work = make_temp_dir("browser-edge");
  HttpdOptions o;
  o.own_modules = {{"lpedge_module", LPWEB_MOD_LPEDGE}};
  Httpd httpd(o);
  std::string error;
  ASSERT_TRUE(httpd.start(&error)) << error;
  // The production host needs the port httpd was given, so the redirect goes in after start.
  const std::string port = std::to_string(httpd.port());
  httpd.set_config("LPEdgeRedirect edge.localhost localhost:" + port +
                   "\n<Location \"/x\">\n  ForceType text/html\n</Location>\n");
  write_file(httpd.path("htdocs/x"), "<!doctype html><title>production x</title><link rel=\"icon\" href=\"data:,\"><p>production\n");
  ASSERT_TRUE(httpd.graceful(&error)) << error;

  Browser browser(work);
  ASSERT_TRUE(browser.start(&error)) << error;
  // The issue's URL, and one whose escapes a normalising redirect would change.
  const std::vector<std::string> targets = {"/x?y", "/x?q=%41%2F%20b&sort=-id+asc&%7E"};
  for (const std::string& target : targets) {
    browser.navigate("http://bugs.edge.localhost:" + port + target);
    const std::string production = "http://bugs.localhost:" + port + target;
    EXPECT_EQ(browser.current_url(), production);
    EXPECT_EQ(browser.execute("return location.href;", json::array()), production);
    EXPECT_EQ(browser.execute("return document.title;", json::array()), "production x") << target;
  }
  browser.stop();

  // The browser went through mod_lpedge: a 301 to exactly that URL, then the page itself.
  httpd.stop();
  std::string log = httpd.access_log();
  for (const std::string& target : targets) {
    const std::string production = "http://bugs.localhost:" + port + target;
    EXPECT_NE(log.find("\"GET " + target + " HTTP/1.1\" 301 " + production + " redirected=edge.localhost"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("\"GET " + target + " HTTP/1.1\" 200 - redirected=-"), std::string::npos) << log;
  }
  auto errors = httpd.unexpected_errors();
  EXPECT_TRUE(errors.empty()) << errors.front();
  if (!std::getenv("LPWEB_KEEP_TEST_DIRS")) remove_tree(work);
}

}  // namespace
}  // namespace lpweb::test
