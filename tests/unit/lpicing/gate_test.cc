// The fleet gate's reading of lpicing-status bodies and its per-server
// decision, without a network: `lpicing wait` only adds libcurl around these.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gate.h"
#include "gate_json.h"
#include "store_report.h"
#include "serve.h"

namespace lpicing {
namespace {

using lpicing_tool::check_server;
using lpicing_tool::gate_result_json;
using lpicing_tool::GateServerResult;
using lpicing_tool::parse_status_body;

// A body exactly as the module writes it.
std::string real_body(const std::string& current, const std::vector<std::string>& revisions) {
  StoreReport report;
  report.current = current;
  for (const std::string& r : revisions) {
    RevisionReport rr;
    rr.revision = r;
    rr.header.revision = r;
    rr.header.deployed = 1700000000;
    rr.header.sums_sha256_hex = std::string(64, 'a');
    report.revisions.push_back(rr);
  }
  report.errors.emplace_back("broken", "INDEX missing");
  return store_report_json(report);
}

PollResult ok(const std::string& body) {
  PollResult p;
  p.reached = true;
  p.http_status = 200;
  p.body = body;
  return p;
}

TEST(ParseStatusBody, ReadsEveryKindOfValue) {
  std::string error;
  auto s = parse_status_body(R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "x"}, "current": null,
                                  "revisions": [{"revision": "x\"\\\/\n\u00e9\ud83d\ude00"}]} )", &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->revisions, std::vector<std::string>{"x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80"});
}

TEST(ParseStatusBody, RejectsMalformedText) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"unterminated", "01", "1.", "-", "tru",
                          "{} x", "\"a\x01\"", "\"\\q\"", "\"\\u12g4\"", "[1 2]", "{1: 2}"}) {
    std::string error;
    EXPECT_FALSE(parse_status_body(bad, &error)) << bad;
    EXPECT_NE(error.find("not JSON"), std::string::npos) << bad << ": " << error;
  }
}

TEST(ParseStatusBody, RefusesDeepNestingInsteadOfOverflowingTheStack) {
  auto nested = [](std::size_t levels) {
    return R"({"current": null, "revisions": [], "x": )" + std::string(levels, '[') + std::string(levels, ']') + "}";
  };
  std::string error;
  EXPECT_FALSE(parse_status_body(nested(100000), &error));
  EXPECT_NE(error.find("nested deeper than 64 levels"), std::string::npos) << error;
  EXPECT_FALSE(parse_status_body(std::string(100000, '[')));
  EXPECT_TRUE(parse_status_body(nested(60)));
}

TEST(ParseStatusBody, ReadsTheModulesOwnOutput) {
  std::string error;
  auto s = parse_status_body(real_body("101", {"101", "100"}), &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->current, std::optional<std::string>("101"));
  EXPECT_EQ(s->revisions, (std::vector<std::string>{"101", "100"}));
}

TEST(ParseStatusBody, ToleratesOtherMembersOrderAndCompactForm) {
  auto s = parse_status_body(
      R"({"requests":{"200":5},"revisions":[{"files":1,"revision":"r-1","extra":[{}]}],"current":null,"x":1.5})");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->current);
  EXPECT_EQ(s->revisions, std::vector<std::string>{"r-1"});
}

TEST(ParseStatusBody, RejectsWhatIsNotAStatusBody) {
  std::string error;
  EXPECT_FALSE(parse_status_body("<html>It works!</html>", &error));
  EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
  EXPECT_FALSE(parse_status_body(R"({"redirects":[],"total":0})", &error));  // lpedge-status, the wrong URL
  EXPECT_NE(error.find("current"), std::string::npos) << error;
  EXPECT_FALSE(parse_status_body(R"({"current":"1","revisions":{}})", &error));
  EXPECT_FALSE(parse_status_body(R"({"current":1,"revisions":[]})", &error));
  EXPECT_FALSE(parse_status_body(R"({"current":"1","revisions":[{"revision":7}]})", &error));
  EXPECT_FALSE(parse_status_body("[]", &error));
}

TEST(CheckServer, ReadyWhenTheRevisionIsPresentEvenIfNotCurrent) {
  GateCheck c = check_server(ok(real_body("100", {"101", "100"})), "101", false);
  EXPECT_EQ(c.state, GateState::ready);
  EXPECT_EQ(c.current, std::optional<std::string>("100"));
}

TEST(CheckServer, AbsentRevisionIsNotReadyAndSaysWhatIsCurrent) {
  GateCheck c = check_server(ok(real_body("100", {"100"})), "101", false);
  EXPECT_EQ(c.state, GateState::absent);
  EXPECT_EQ(c.reason, "revision 101 absent (current is 100)");
  EXPECT_EQ(check_server(ok(real_body("", {})), "101", false).reason, "revision 101 absent (no current revision)");
}

TEST(CheckServer, RevisionIdsCompareExactly) {
  EXPECT_EQ(check_server(ok(real_body("1010", {"1010", "10"})), "101", false).state, GateState::absent);
}

TEST(CheckServer, RequireCurrentWantsTheRevisionCurrent) {
  EXPECT_EQ(check_server(ok(real_body("100", {"101", "100"})), "101", true).state, GateState::not_current);
  EXPECT_EQ(check_server(ok(real_body("101", {"101", "100"})), "101", true).state, GateState::ready);
  EXPECT_EQ(check_server(ok(real_body("101", {"100"})), "101", true).state, GateState::absent);
}

TEST(CheckServer, TransportAndHttpFailuresAreNamed) {
  PollResult down;
  down.transport_error = "Couldn't connect to server";
  GateCheck c = check_server(down, "1", false);
  EXPECT_EQ(c.state, GateState::unreachable);
  EXPECT_EQ(c.reason, "unreachable: Couldn't connect to server");

  PollResult not_found = ok("<html>Not Found</html>");
  not_found.http_status = 404;
  c = check_server(not_found, "1", false);
  EXPECT_EQ(c.state, GateState::http_error);
  EXPECT_NE(c.reason.find("HTTP status 404"), std::string::npos);

  c = check_server(ok("It works!"), "1", false);
  EXPECT_EQ(c.state, GateState::bad_body);
  EXPECT_NE(c.reason.find("not JSON"), std::string::npos);
}

TEST(CheckRevisions, DecidesFromTheListedRevisionsWithoutJson) {
  ServerRevisions listed{std::string("100"), {"101", "100"}};
  EXPECT_EQ(check_revisions(listed, "101", false).state, GateState::ready);
  EXPECT_EQ(check_revisions(listed, "101", true).reason, "revision 101 present but not current (current is 100)");
  EXPECT_EQ(check_revisions(ServerRevisions{}, "101", false).reason, "revision 101 absent (no current revision)");
  EXPECT_FALSE(check_response(ok("not read here")));
}

TEST(GateResultJson, IsJsonWithOneEntryPerServer) {
  std::vector<GateServerResult> servers(2);
  servers[0].url = "http://web1/lpicing-status";
  servers[0].last = check_server(ok(real_body("7", {"7"})), "7", false);
  servers[0].http_status = 200;
  servers[0].ready_after = 0.25;
  servers[0].polls = 1;
  servers[1].url = "http://web2/lpicing-status";
  servers[1].last.state = GateState::unreachable;
  servers[1].last.reason = "unreachable: \"refused\"";
  servers[1].polls = 3;
  std::string text = gate_result_json("7", false, false, 1.5, servers);
  auto v = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(v.is_discarded()) << text;
  EXPECT_EQ(v.at("revision"), "7");
  EXPECT_EQ(v.at("ready"), false);
  EXPECT_EQ(v.at("elapsed_seconds"), 1.5);
  const auto& list = v.at("servers");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("ready"), true);
  EXPECT_EQ(list[0].at("current"), "7");
  EXPECT_EQ(list[0].at("ready_after_seconds"), 0.25);
  EXPECT_EQ(list[1].at("state"), "unreachable");
  EXPECT_EQ(list[1].at("reason"), "unreachable: \"refused\"");
  EXPECT_TRUE(list[1].at("http_status").is_null());
  EXPECT_EQ(list[1].at("polls"), 3);
}

TEST(GateResultJson, KeepsTheDocumentedLayout) {
  std::vector<GateServerResult> servers(1);
  servers[0].url = "http://web2/lpicing-status";
  servers[0].last = check_server(ok(real_body("Q", {"Q"})), "R", false);
  servers[0].http_status = 200;
  servers[0].polls = 587;
  EXPECT_EQ(gate_result_json("R", false, false, 300.0123, servers),
            "{\"revision\": \"R\", \"require_current\": false, \"ready\": false, \"elapsed_seconds\": 300.012, "
            "\"servers\": [{\"url\": \"http://web2/lpicing-status\", \"ready\": false, \"state\": \"absent\", "
            "\"reason\": \"revision R absent (current is Q)\", \"http_status\": 200, \"current\": \"Q\", "
            "\"ready_after_seconds\": null, \"polls\": 587}]}\n");
}

}  // namespace
}  // namespace lpicing
