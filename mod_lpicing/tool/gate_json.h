// The JSON side of `lpicing wait`: reading web servers' lpicing-status bodies
// (nlohmann-json) and writing its --json result. The tool's alone (and its
// tests'): the httpd module never links nlohmann-json. The decision itself is the core's (gate.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate.h"

namespace lpicing_tool {

// The largest status body read: a store with tens of thousands of revisions fits.
constexpr std::size_t kMaxStatusBodyBytes = 16u << 20;

// Reads `{"current": "R"|null, "revisions": [{"revision": "R", ...}, ...], ...}`,
// ignoring every other member; nullopt with *error set when it is not that, not
// JSON, larger than kMaxStatusBodyBytes or nested deeper than 64 levels.
// Throws only std::bad_alloc.
std::optional<lpicing::ServerRevisions> parse_status_body(std::string_view body, std::string* error = nullptr);

// One poll of one server, judged: its transport and HTTP status, then its body.
lpicing::GateCheck check_server(const lpicing::PollResult& poll, std::string_view revision, bool require_current);

// One server's line in `lpicing wait --json`.
struct GateServerResult {
  std::string url;
  lpicing::GateCheck last;   // the last check (the ready one, once ready)
  long http_status = 0;      // of the last poll; 0 when unreachable
  double ready_after = -1;   // seconds from the start; -1 when never ready
  int polls = 0;
};
// One line: {"revision": R, "require_current": bool, "ready": bool, "elapsed_seconds": x,
//  "servers": [{"url", "ready", "state", "reason", "http_status", "current", "ready_after_seconds", "polls"}]}
// Seconds with three decimals; bytes that are not UTF-8 become U+FFFD. Then a newline.
std::string gate_result_json(std::string_view revision, bool require_current, bool ready, double elapsed,
                             const std::vector<GateServerResult>& servers);

}  // namespace lpicing_tool
