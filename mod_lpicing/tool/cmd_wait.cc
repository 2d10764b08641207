// `lpicing wait`: polls every web server's lpicing-status until each has the
// revision, the gate before app servers roll (README, lpicing wait).
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "bundle.h"
#include "cli.h"
#include "fsutil.h"
#include "gate_json.h"
#include "http_poll.h"

namespace lpicing_tool {

namespace {

bool is_http_url(const std::string& url) {
  auto starts = [&](const char* scheme) { return strncasecmp(url.c_str(), scheme, strlen(scheme)) == 0; };
  return (starts("http://") && url.size() > 7) || (starts("https://") && url.size() > 8);
}

}  // namespace

// Polls every web server's lpicing-status until each has the revision: the
// gate before appservers roll. Servers once ready are not asked again.
int cmd_wait(const Args& args) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::milliseconds(500);
  constexpr long kRequestTimeoutMs = 2000;
  constexpr long kMinRequestTimeoutMs = 250;

  Output out(args);
  if (auto problem = check_arguments(args, 1, SIZE_MAX, "lpicing-status URL", {Opt::rev})) return out.usage(*problem);
  const std::string& rev = args.value(Opt::rev);
  if (!lpicing::is_valid_revision_id(rev))
    return out.usage("revision id " + lpicing::quote(rev) + " does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  double timeout = 300;
  if (args.has(Opt::timeout)) {
    const std::string& t = args.value(Opt::timeout);
    char* end = nullptr;
    timeout = strtod(t.c_str(), &end);
    if (t.empty() || *end || !(timeout >= 0) || timeout > 7 * 86400)
      return out.usage("--timeout needs a number of seconds from 0 to 604800");
  }
  for (const std::string& url : args.positional)
    if (!is_http_url(url))
      return out.usage("status URL " + lpicing::quote(url) + " is not an http:// or https:// URL");
  const bool require_current = args.has(Opt::current);
  const bool json = args.json();
  // Progress lines: not with --quiet.
  const bool chatty = !args.quiet();
  const std::size_t n = args.positional.size();

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return out.fail(kExitStoreError, "cannot initialise libcurl");
  std::vector<GateServerResult> servers(n);
  for (std::size_t i = 0; i < n; ++i) servers[i].url = args.positional[i];
  std::size_t ready = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout));
  auto seconds_since_start = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  if (chatty)
    fprintf(stderr, "lpicing: waiting up to %g s for revision %s %s on %zu server%s\n", timeout, rev.c_str(),
          require_current ? "to be current" : "to be present", n, n == 1 ? "" : "s");
  {
    StatusPoller poller(args.positional);
    for (;;) {
      const auto round = Clock::now();
      std::vector<std::size_t> pending;
      for (std::size_t i = 0; i < n; ++i)
        if (servers[i].ready_after < 0) pending.push_back(i);
      long left_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - round).count());
      long request_ms = std::min(kRequestTimeoutMs, std::max(left_ms, kMinRequestTimeoutMs));
      std::vector<lpicing::PollResult> polled = poller.poll(pending, request_ms);
      for (std::size_t k = 0; k < pending.size(); ++k) {
        GateServerResult& s = servers[pending[k]];
        lpicing::GateCheck check = check_server(polled[k], rev, require_current);
        ++s.polls;
        s.http_status = polled[k].reached ? polled[k].http_status : 0;
        // Transport errors carry timings: only a new kind of trouble is news.
        bool changed = check.state != s.last.state ||
                       (check.state != lpicing::GateState::unreachable && check.reason != s.last.reason);
        s.last = std::move(check);
        if (s.last.state == lpicing::GateState::ready) {
          s.ready_after = seconds_since_start();
          ++ready;
          if (chatty)
            fprintf(stderr, "lpicing: %s ready: %s (%zu of %zu ready, %.1f s)\n", s.url.c_str(),
                  s.last.reason.c_str(), ready, n, s.ready_after);
        } else if (chatty && (changed || out.verbose())) {
          fprintf(stderr, "lpicing: %s not ready: %s\n", s.url.c_str(), s.last.reason.c_str());
        }
      }
      if (ready == n || Clock::now() >= deadline) break;
      std::this_thread::sleep_until(std::min(round + kInterval, deadline));
    }
  }
  curl_global_cleanup();
  const double elapsed = seconds_since_start();
  if (json) printf("%s", gate_result_json(rev, require_current, ready == n, elapsed, servers).c_str());
  if (ready == n) {
    if (chatty)
      fprintf(stderr, "lpicing: revision %s is %s on all %zu server%s (%.1f s)\n", rev.c_str(),
            require_current ? "current" : "present", n, n == 1 ? "" : "s", elapsed);
    return kExitOk;
  }
  std::string lacking;
  for (const auto& s : servers) {
    if (s.ready_after >= 0) continue;
    fprintf(stderr, "lpicing: %s lacks revision %s: %s\n", s.url.c_str(), rev.c_str(), s.last.reason.c_str());
    lacking += (lacking.empty() ? "" : ", ") + s.url;
  }
  // Not out.fail: --json has printed the result, timed out or not.
  fprintf(stderr, "lpicing: timed out after %ld s: %zu of %zu servers lack revision %s%s: %s\n",
          static_cast<long>(timeout + 0.5), n - ready, n, rev.c_str(), require_current ? " as current" : "",
          lacking.c_str());
  return kExitNotReady;
}

}  // namespace lpicing_tool
