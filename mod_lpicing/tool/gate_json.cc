// The JSON of `lpicing wait`: status bodies read with nlohmann-json, the --json
// result written with the project's JsonWriter, as every other JSON it prints.
// No exception leaves here but std::bad_alloc: bodies are checked by a SAX pass
// before they are parsed with allow_exceptions=false, and types before members are read.
#include "gate_json.h"

#include <cstdint>

#include <nlohmann/json.hpp>

#include "json_writer.h"

namespace lpicing_tool {
namespace {

using nlohmann::json;
using lpicing::GateCheck;
using lpicing::GateState;
using lpicing::ServerRevisions;

// nlohmann's parser is not recursive, but it bounds neither depth nor the tree
// it builds: this first pass refuses a body nested deeper than this, and says
// where a body that is not JSON goes wrong.
constexpr int kMaxDepth = 64;

class ShapeCheck final : public nlohmann::json_sax<json> {
 public:
  const std::string& error() const { return error_; }

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool key(string_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_object() override { return --depth_, true; }
  bool end_array() override { return --depth_, true; }
  bool parse_error(std::size_t, const std::string&, const json::exception& ex) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 1: syntax error while
    // parsing value - invalid literal; last read: '<'": the last read token can be the whole body.
    std::string_view what = ex.what();
    if (auto tag_end = what.find("] "); tag_end != std::string_view::npos) what.remove_prefix(tag_end + 2);
    what = what.substr(0, what.find("; last read: "));
    error_ = "not JSON (" + std::string(what) + ")";
    return false;
  }

 private:
  bool enter() {
    if (++depth_ <= kMaxDepth) return true;
    error_ = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }

  int depth_ = 0;
  std::string error_;
};

}  // namespace

std::optional<ServerRevisions> parse_status_body(std::string_view body, std::string* error) {
  auto bad = [&](const std::string& why) -> std::optional<ServerRevisions> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (body.size() > kMaxStatusBodyBytes)
    return bad("larger than " + std::to_string(kMaxStatusBodyBytes >> 20) + " MiB");
  ShapeCheck shape;
  if (!json::sax_parse(body, &shape)) return bad(shape.error());
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("not JSON");  // the shape check has let it through: not expected

  if (!doc.is_object()) return bad("not a JSON object");
  ServerRevisions out;
  auto current = doc.find("current");
  if (current == doc.end()) return bad("no \"current\" member: not an lpicing-status response");
  if (const auto* id = current->get_ptr<const json::string_t*>()) {
    out.current = *id;
  } else if (!current->is_null()) {
    return bad("\"current\" is neither a string nor null");
  }
  auto revisions = doc.find("revisions");
  if (revisions == doc.end() || !revisions->is_array())
    return bad("no \"revisions\" list: not an lpicing-status response");
  for (const json& r : *revisions) {
    auto id = r.find("revision");  // end() when r is not an object
    if (id == r.end() || !id->is_string()) return bad("a revisions entry has no \"revision\" string");
    out.revisions.push_back(*id->get_ptr<const json::string_t*>());
  }
  return out;
}

GateCheck check_server(const lpicing::PollResult& poll, std::string_view revision, bool require_current) {
  if (auto failed = lpicing::check_response(poll)) return *failed;
  std::string why;
  auto status = parse_status_body(poll.body, &why);
  if (!status) {
    GateCheck c;
    c.state = GateState::bad_body;
    c.reason = "unreadable status: " + why;
    return c;
  }
  return lpicing::check_revisions(*status, revision, require_current);
}

std::string gate_result_json(std::string_view revision, bool require_current, bool ready, double elapsed,
                             const std::vector<GateServerResult>& servers) {
  lpweb::JsonWriter json;
  json.begin_object().member("revision", revision).member("require_current", require_current);
  json.member("ready", ready).key("elapsed_seconds").fixed(elapsed, 3);
  json.key("servers").begin_array();
  for (const GateServerResult& s : servers) {
    json.begin_object().member("url", s.url).member("ready", s.last.state == GateState::ready);
    json.member("state", lpicing::gate_state_name(s.last.state)).member("reason", s.last.reason);
    json.key("http_status");
    if (s.http_status) {
      json.value(static_cast<std::int64_t>(s.http_status));
    } else {
      json.null();
    }
    json.key("current");
    if (s.last.current) {
      json.value(*s.last.current);
    } else {
      json.null();
    }
    json.key("ready_after_seconds");
    if (s.ready_after >= 0) {
      json.fixed(s.ready_after, 3);
    } else {
      json.null();
    }
    json.member("polls", s.polls).end_object();
  }
  json.end_array().end_object();
  return json.finish();
}

}  // namespace lpicing_tool
