// The fleet gate of `lpicing wait`: reads a web server's lpicing-status body
// and decides whether revision R is deployed there, so appservers roll only
// once every web server can serve R. The HTTP polling lives in the tool.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpicing {

// A parsed JSON value (RFC 8259), enough for status bodies: numbers are kept
// as doubles, objects keep the last of duplicate keys.
struct JsonValue {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue, std::less<>> object;

  // The member `key` of an object, or nullptr.
  const JsonValue* get(std::string_view key) const;
};

// Parses one JSON text (surrounding whitespace allowed); nullopt with *error
// set when it is not JSON or nests deeper than 64 levels. Throws only std::bad_alloc.
std::optional<JsonValue> parse_json(std::string_view text, std::string* error = nullptr);

// What a status body says: the current revision and the revisions present.
struct ServerRevisions {
  std::optional<std::string> current;  // nullopt: the server has no current revision
  std::vector<std::string> revisions;
};
// Reads `{"current": "R"|null, "revisions": [{"revision": "R", ...}, ...], ...}`,
// ignoring every other member; nullopt with *error set otherwise.
std::optional<ServerRevisions> parse_status_body(std::string_view body, std::string* error = nullptr);

// One poll of one server, as the transport saw it.
struct PollResult {
  bool reached = false;     // false: connection or transport failure
  std::string transport_error;
  long http_status = 0;
  std::string body;
};

enum class GateState { ready, unreachable, http_error, bad_body, absent, not_current };

struct GateCheck {
  GateState state = GateState::unreachable;
  std::string reason;                  // for an operator: why not ready, or what made it ready
  std::optional<std::string> current;  // as reported, when the body parsed
};

// Ready when revision `revision` is present (and, with require_current, is
// the current revision too).
GateCheck check_server(const PollResult& poll, std::string_view revision, bool require_current);

// "ready", "unreachable", "http_error", "bad_body", "absent", "not_current".
std::string_view gate_state_name(GateState state);

// One server's line in `lpicing wait --json`.
struct GateServerResult {
  std::string url;
  GateCheck last;            // the last check (the ready one, once ready)
  long http_status = 0;      // of the last poll; 0 when unreachable
  double ready_after = -1;   // seconds from the start; -1 when never ready
  int polls = 0;
};
// {"revision": R, "require_current": bool, "ready": bool, "elapsed_seconds": x,
//  "servers": [{"url", "ready", "state", "reason", "http_status", "current", "ready_after_seconds", "polls"}]}
std::string gate_result_json(std::string_view revision, bool require_current, bool ready, double elapsed,
                             const std::vector<GateServerResult>& servers);

}  // namespace lpicing
