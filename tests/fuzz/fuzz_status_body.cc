// Fuzzes what `lpicing wait` reads from the network: the JSON parser, the
// lpicing-status body reader and the readiness decision. A body that parses
// must survive a round trip through the module's own status writer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gate.h"
#include "index.h"
#include "serve.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lpicing;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto json = parse_json(body, &error);
  CHECK(json || !error.empty());

  auto status = parse_status_body(body, &error);
  PollResult poll;
  poll.reached = true;
  poll.http_status = 200;
  poll.body = std::string(body);
  for (bool require_current : {false, true}) {
    GateCheck c = check_server(poll, "101", require_current);
    CHECK(!c.reason.empty());
    if (c.state == GateState::ready) {
      CHECK(status);
      bool present = false;
      for (const std::string& r : status->revisions) present = present || r == "101";
      CHECK(present);
      CHECK(!require_current || status->current == std::optional<std::string>("101"));
    }
  }
  if (!status) return 0;

  // Revision ids as a store can hold them come back unchanged from the module's JSON.
  bool all_valid = !status->current || is_valid_revision_id(*status->current);
  for (const std::string& r : status->revisions) all_valid = all_valid && is_valid_revision_id(r);
  if (!all_valid) return 0;
  StoreReport report;
  report.current = status->current.value_or("");
  for (const std::string& r : status->revisions) report.revisions.push_back({r, IndexHeader{}});
  auto again = parse_status_body(status_json(report), &error);
  CHECK(again);
  CHECK(again->revisions == status->revisions);
  CHECK(again->current == (status->current && !status->current->empty() ? status->current : std::nullopt));
  return 0;
}
