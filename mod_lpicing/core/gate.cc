// The per-server readiness decision of `lpicing wait`, from a poll's outcome
// and the revisions its body listed.
#include "gate.h"

namespace lpicing {

std::optional<GateCheck> check_response(const PollResult& poll) {
  GateCheck c;
  if (!poll.reached) {
    c.state = GateState::unreachable;
    c.reason = "unreachable: " + (poll.transport_error.empty() ? std::string("no response") : poll.transport_error);
    return c;
  }
  if (poll.http_status != 200) {
    c.state = GateState::http_error;
    c.reason = "HTTP status " + std::to_string(poll.http_status) + " (is it the lpicing-status URL?)";
    return c;
  }
  return std::nullopt;
}

GateCheck check_revisions(const ServerRevisions& status, std::string_view revision, bool require_current) {
  GateCheck c;
  c.current = status.current;
  bool present = false;
  for (const std::string& r : status.revisions) present = present || r == revision;
  std::string current_text = status.current ? "current is " + *status.current : "no current revision";
  if (!present) {
    c.state = GateState::absent;
    c.reason = "revision " + std::string(revision) + " absent (" + current_text + ")";
    return c;
  }
  if (require_current && status.current != std::optional<std::string>(std::string(revision))) {
    c.state = GateState::not_current;
    c.reason = "revision " + std::string(revision) + " present but not current (" + current_text + ")";
    return c;
  }
  c.state = GateState::ready;
  c.reason = "revision " + std::string(revision) + (require_current ? " current" : " present");
  return c;
}

std::string_view gate_state_name(GateState state) {
  switch (state) {
    case GateState::ready: return "ready";
    case GateState::unreachable: return "unreachable";
    case GateState::http_error: return "http_error";
    case GateState::bad_body: return "bad_body";
    case GateState::absent: return "absent";
    case GateState::not_current: return "not_current";
  }
  return "unknown";
}

}  // namespace lpicing
