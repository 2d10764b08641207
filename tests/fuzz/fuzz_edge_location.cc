// Fuzzes mod_lpedge's host matcher and Location builder against a fixed
// Policy. Input: one flag byte, then "HOST\nMETHOD\nTARGET" (TARGET is the rest,
// any bytes). The HOST line is also tried as a PRODUCTION-HOST directive value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "edge.h"
#include "fuzz_check.h"

namespace {

using lpedge::Decision;
using lpedge::Policy;
using lpedge::Request;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_dns_label(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  for (char c : l)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// Dot-separated lower-case DNS labels, as Location may carry in front of a production host.
bool is_dns_labels(std::string_view s) {
  if (s.empty()) return false;
  for (;;) {
    std::size_t dot = s.find('.');
    if (!is_dns_label(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The policies under test: a few rules, one nested in another, one with a port.
Policy make_policy(int variant) {
  Policy p;
  auto must = [](const lpweb::Status& done) {
    if (!done) abort();
  };
  must(p.add_rule("edge.example.net", "example.net"));
  must(p.add_rule("api.edge.example.net", "api.example.com"));
  must(p.add_rule("Beta.Example.ORG.", "www.example.org:8443"));
  must(p.add_rule("qastaging.launchpad.test", "launchpad.test"));
  must(p.add_exempt("/.well-known/acme-challenge/"));
  must(p.add_exempt("/health"));
  if (variant == 1) p.scheme = lpedge::Scheme::http;
  if (variant == 2) p.scheme = lpedge::Scheme::https;
  if (variant == 3) {
    p.safe_status = 302;
    p.unsafe_status = 307;
    p.cache_control = "max-age=60";
  }
  return p;
}

// The expected path+query of a target, computed independently of edge.cc:
// origin form as is; absolute form without scheme and authority.
bool expected_rest(std::string_view target, std::string* rest) {
  if (!target.empty() && target[0] == '/') return rest->assign(target), true;
  std::size_t sep = target.find("://");
  if (sep == std::string_view::npos) return false;
  std::string scheme = to_lower(target.substr(0, sep));
  if (scheme != "http" && scheme != "https") return false;
  std::string_view after = target.substr(sep + 3);
  std::size_t end = after.find_first_of("/?#");
  if (end == std::string_view::npos) return rest->assign("/"), true;
  rest->assign(after[end] == '/' ? "" : "/");
  rest->append(after.substr(end));
  return true;
}

void check_production_host_value(std::string_view host) {
  Policy q;
  lpweb::Status added = q.add_rule("edge.fuzz.test", host);  // must not throw
  if (!added) return;
  // Accepted: "name" or "name:port", port 1-65535 canonical enough to be safe in a header.
  const std::string& prod = q.rules().at(0).production_host;
  std::string_view name = prod, port;
  if (!prod.empty() && prod[0] == '[') {
    std::size_t close = prod.find(']');
    CHECK(close != std::string::npos);
    name = std::string_view(prod).substr(0, close + 1);
  } else {
    name = std::string_view(prod).substr(0, prod.find(':'));
  }
  if (name.size() < prod.size()) {
    CHECK(prod[name.size()] == ':');
    port = std::string_view(prod).substr(name.size() + 1);
    CHECK(!port.empty() && port.size() <= 5);
    unsigned long v = 0;
    for (char c : port) {
      CHECK(c >= '0' && c <= '9');
      v = v * 10 + static_cast<unsigned long>(c - '0');
    }
    CHECK(v >= 1 && v <= 65535);
  }
  if (name[0] != '[') CHECK(is_dns_labels(name));
  for (unsigned char c : prod) CHECK(c > 0x20 && c < 0x7f && c != '/' && c != '@' && c != '?' && c != '#');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const Policy policies[4] = {make_policy(0), make_policy(1), make_policy(2), make_policy(3)};
  const int flags = data[0];
  const Policy& policy = policies[(flags >> 1) & 3];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::size_t nl1 = in.find('\n');
  std::string_view host = in.substr(0, nl1);
  std::string_view method, target;
  if (nl1 != std::string_view::npos) {
    std::string_view rest = in.substr(nl1 + 1);
    std::size_t nl2 = rest.find('\n');
    method = rest.substr(0, nl2);
    if (nl2 != std::string_view::npos) target = rest.substr(nl2 + 1);
  }

  check_production_host_value(host);

  Request req;
  req.host = host;
  req.method = method;
  req.target = target;
  req.secure = flags & 1;
  Decision d = lpedge::decide(policy, req);

  // A host outside every edge host never gets anything but pass.
  std::string_view leading;
  const lpedge::Rule* rule = lpedge::match_host(policy, host, &leading);
  if (!rule) CHECK(d.kind == Decision::pass);
  if (d.kind == Decision::bad_request) CHECK(d.status == 400);
  if (d.kind != Decision::redirect) return 0;

  CHECK(d.rule == rule);
  const std::string& loc = d.location;
  for (unsigned char c : loc) CHECK(c != '\r' && c != '\n' && c != '\0' && c > 0x20 && c != 0x7f);

  bool https = policy.scheme == lpedge::Scheme::https ||
               (policy.effective_scheme() == lpedge::Scheme::preserve && req.secure);
  std::string_view scheme = https ? "https://" : "http://";
  CHECK(loc.compare(0, scheme.size(), scheme) == 0);
  std::string_view after = std::string_view(loc).substr(scheme.size());
  std::size_t slash = after.find('/');
  CHECK(slash != std::string_view::npos);
  std::string_view loc_host = after.substr(0, slash);
  std::string_view suffix = after.substr(slash);

  // Location's host: a configured production host, or DNS labels in front of one,
  // and those labels are the request's own (lower-cased).
  bool configured = false;
  for (const lpedge::Rule& r : policy.rules()) {
    if (loc_host == r.production_host) configured = true;
    if (ends_with(loc_host, "." + r.production_host) &&
        is_dns_labels(loc_host.substr(0, loc_host.size() - r.production_host.size() - 1)))
      configured = true;
  }
  CHECK(configured);
  std::string want_host = leading.empty() ? rule->production_host : to_lower(leading) + "." + rule->production_host;
  CHECK(loc_host == want_host);

  // Location's path+query: the target's, byte for byte.
  std::string want_rest;
  CHECK(expected_rest(target, &want_rest));
  CHECK(suffix == want_rest);
  if (!target.empty() && target[0] == '/') CHECK(suffix == target);

  bool safe = method == "GET" || method == "HEAD";
  CHECK(d.safe_method == safe);
  CHECK(d.status == (safe ? policy.effective_safe_status() : policy.effective_unsafe_status()));
  return 0;
}
