// The fleet gate of `lpicing wait`: decides from one poll of a web server's
// lpicing-status URL whether revision R is deployed there, so appservers roll
// only once every web server can serve R. Polling and reading the body's JSON
// are the tool's (tool/http_poll.h, tool/gate_json.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpicing {

// What a status body says: the current revision and the revisions present.
struct ServerRevisions {
  std::optional<std::string> current;  // nullopt: the server has no current revision
  std::vector<std::string> revisions;
};

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

// The verdict on a poll that brought no status body to read: unreachable, or
// an HTTP status other than 200. nullopt: the body is to be read.
std::optional<GateCheck> check_response(const PollResult& poll);

// The verdict on a status body that was read: ready when `revision` is present
// (and, with require_current, is the current revision too).
GateCheck check_revisions(const ServerRevisions& status, std::string_view revision, bool require_current);

// "ready", "unreachable", "http_error", "bad_body", "absent", "not_current".
std::string_view gate_state_name(GateState state);

}  // namespace lpicing
