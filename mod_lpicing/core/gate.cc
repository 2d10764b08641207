// A small strict JSON reader for lpicing-status bodies, the per-server
// readiness decision of `lpicing wait`, and its --json output.
#include "gate.h"

#include "text.h"

#include <cstdio>
#include <cstdlib>

#include "serve.h"

namespace lpicing {
namespace {

constexpr int kMaxDepth = 64;

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : s_(text) {}

  bool parse(JsonValue* out) {
    skip_space();
    if (!value(out, 0)) return false;
    skip_space();
    if (i_ != s_.size()) return fail("unexpected text after the JSON value");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at byte " + std::to_string(i_);
    return false;
  }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return fail("invalid literal");
    i_ += word.size();
    return true;
  }

  bool value(JsonValue* out, int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    if (i_ >= s_.size()) return fail("unexpected end");
    char c = s_[i_];
    switch (c) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"': out->type = JsonValue::Type::string; return string(&out->string);
      case 't': out->type = JsonValue::Type::boolean; out->boolean = true; return literal("true");
      case 'f': out->type = JsonValue::Type::boolean; out->boolean = false; return literal("false");
      case 'n': out->type = JsonValue::Type::null; return literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        return fail(std::string("unexpected character '") + c + "'");
    }
  }

  bool object(JsonValue* out, int depth) {
    out->type = JsonValue::Type::object;
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
    for (;;) {
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '"') return fail("expected a member name");
      std::string key;
      if (!string(&key)) return false;
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':') return fail("expected ':'");
      ++i_;
      skip_space();
      JsonValue member;
      if (!value(&member, depth + 1)) return false;
      out->object[key] = std::move(member);
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
      return fail("expected ',' or '}'");
    }
  }

  bool array(JsonValue* out, int depth) {
    out->type = JsonValue::Type::array;
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
    for (;;) {
      skip_space();
      out->array.emplace_back();
      if (!value(&out->array.back(), depth + 1)) return false;
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
      return fail("expected ',' or ']'");
    }
  }

  bool hex4(unsigned* out) {
    if (s_.size() - i_ < 4) return fail("short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    *out = v;
    return true;
  }

  static void append_utf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  bool string(std::string* out) {
    ++i_;  // the opening quote
    for (;;) {
      if (i_ >= s_.size()) return fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00 && s_.substr(i_, 2) == "\\u") {
            std::size_t save = i_;
            i_ += 2;
            unsigned low = 0;
            if (!hex4(&low)) return false;
            if (low >= 0xdc00 && low < 0xe000) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            } else {
              i_ = save;  // a lone high surrogate; the next escape stands alone
            }
          }
          if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
          append_utf8(out, cp);
          break;
        }
        default: return fail("bad escape");
      }
    }
  }

  bool number(JsonValue* out) {
    std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    auto digits = [&] {
      std::size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - d;
    };
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (digits() == 0) {
      return fail("bad number");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) return fail("bad number");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) return fail("bad number");
    }
    out->type = JsonValue::Type::number;
    out->number = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string error_;
};

void append_double(std::string& out, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  out.append(buf);
}

void append_optional_string(std::string& out, const std::optional<std::string>& s) {
  if (s) {
    lpweb::append_json_string(out, *s);
  } else {
    out.append("null");
  }
}

}  // namespace

const JsonValue* JsonValue::get(std::string_view key) const {
  if (type != Type::object) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

std::optional<JsonValue> parse_json(std::string_view text, std::string* error) {
  JsonParser p(text);
  JsonValue v;
  if (!p.parse(&v)) {
    if (error) *error = p.error();
    return std::nullopt;
  }
  return v;
}

std::optional<ServerRevisions> parse_status_body(std::string_view body, std::string* error) {
  std::string why;
  auto doc = parse_json(body, &why);
  auto bad = [&](const std::string& w) -> std::optional<ServerRevisions> {
    if (error) *error = w;
    return std::nullopt;
  };
  if (!doc) return bad("not JSON (" + why + ")");
  if (doc->type != JsonValue::Type::object) return bad("not a JSON object");
  ServerRevisions out;
  const JsonValue* current = doc->get("current");
  if (!current) return bad("no \"current\" member: not an lpicing-status response");
  if (current->type == JsonValue::Type::string) {
    out.current = current->string;
  } else if (current->type != JsonValue::Type::null) {
    return bad("\"current\" is neither a string nor null");
  }
  const JsonValue* revisions = doc->get("revisions");
  if (!revisions || revisions->type != JsonValue::Type::array)
    return bad("no \"revisions\" list: not an lpicing-status response");
  for (const JsonValue& r : revisions->array) {
    const JsonValue* id = r.get("revision");
    if (!id || id->type != JsonValue::Type::string) return bad("a revisions entry has no \"revision\" string");
    out.revisions.push_back(id->string);
  }
  return out;
}

GateCheck check_server(const PollResult& poll, std::string_view revision, bool require_current) {
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
  std::string why;
  auto status = parse_status_body(poll.body, &why);
  if (!status) {
    c.state = GateState::bad_body;
    c.reason = "unreadable status: " + why;
    return c;
  }
  c.current = status->current;
  bool present = false;
  for (const std::string& r : status->revisions) present = present || r == revision;
  std::string current_text = status->current ? "current is " + *status->current : "no current revision";
  if (!present) {
    c.state = GateState::absent;
    c.reason = "revision " + std::string(revision) + " absent (" + current_text + ")";
    return c;
  }
  if (require_current && status->current != std::optional<std::string>(std::string(revision))) {
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

std::string gate_result_json(std::string_view revision, bool require_current, bool ready, double elapsed,
                             const std::vector<GateServerResult>& servers) {
  std::string out = "{\"revision\": ";
  lpweb::append_json_string(out, revision);
  out.append(", \"require_current\": ").append(require_current ? "true" : "false");
  out.append(", \"ready\": ").append(ready ? "true" : "false");
  out.append(", \"elapsed_seconds\": ");
  append_double(out, elapsed);
  out.append(", \"servers\": [");
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const GateServerResult& s = servers[i];
    if (i) out.append(", ");
    out.append("{\"url\": ");
    lpweb::append_json_string(out, s.url);
    out.append(", \"ready\": ").append(s.last.state == GateState::ready ? "true" : "false");
    out.append(", \"state\": \"").append(gate_state_name(s.last.state)).append("\"");
    out.append(", \"reason\": ");
    lpweb::append_json_string(out, s.last.reason);
    out.append(", \"http_status\": ");
    if (s.http_status) {
      out.append(std::to_string(s.http_status));
    } else {
      out.append("null");
    }
    out.append(", \"current\": ");
    append_optional_string(out, s.last.current);
    out.append(", \"ready_after_seconds\": ");
    if (s.ready_after >= 0) {
      append_double(out, s.ready_after);
    } else {
      out.append("null");
    }
    out.append(", \"polls\": ").append(std::to_string(s.polls)).append("}");
  }
  out.append("]}\n");
  return out;
}

}  // namespace lpicing
