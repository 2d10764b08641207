// Fuzzes what `lpicing wait` reads from the network: the lpicing-status body
// reader (nlohmann-json behind a depth check) and the readiness decision, then
// its --json writer. A body that parses must survive a round trip through the
// module's own status writer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gate.h"
#include "gate_json.h"
#include "index.h"
#include "serve.h"
#include "store_report.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lpicing;
  using lpicing_tool::check_server;
  using lpicing_tool::parse_status_body;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto status = parse_status_body(body, &error);
  CHECK(status || !error.empty());

  PollResult poll;
  poll.reached = true;
  poll.http_status = 200;
  poll.body = std::string(body);
  std::vector<lpicing_tool::GateServerResult> servers;
  for (bool require_current : {false, true}) {
    GateCheck c = check_server(poll, "101", require_current);
    CHECK(!c.reason.empty());
    CHECK((c.state == GateState::bad_body) == !status);
    if (c.state == GateState::ready) {
      bool present = false;
      for (const std::string& r : status->revisions) present = present || r == "101";
      CHECK(present);
      CHECK(!require_current || status->current == std::optional<std::string>("101"));
    }
    servers.push_back({std::string(body.substr(0, 64)), c, 200, require_current ? -1 : 0.5, 1});
  }
  // Whatever the body held, the --json line is one JSON text carrying the verdicts.
  std::string out = lpicing_tool::gate_result_json("101", false, false, 1, servers);
  CHECK(!out.empty() && out.back() == '\n' && out.find('\n') == out.size() - 1);
  auto written = nlohmann::json::parse(out, nullptr, false);
  CHECK(written.is_object() && written["servers"].size() == servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i)
    CHECK(written["servers"][i]["state"] == std::string(gate_state_name(servers[i].last.state)));
  if (!status) return 0;

  // Revision ids as a store can hold them come back unchanged from the module's JSON.
  bool all_valid = !status->current || is_valid_revision_id(*status->current);
  for (const std::string& r : status->revisions) all_valid = all_valid && is_valid_revision_id(r);
  if (!all_valid) return 0;
  StoreReport report;
  report.current = status->current.value_or("");
  for (const std::string& r : status->revisions) report.revisions.push_back({r, IndexHeader{}});
  auto again = parse_status_body(store_report_json(report), &error);
  CHECK(again);
  CHECK(again->revisions == status->revisions);
  CHECK(again->current == (status->current && !status->current->empty() ? status->current : std::nullopt));
  return 0;
}
