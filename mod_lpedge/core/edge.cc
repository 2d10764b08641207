// Host matching, directive checks and Location building for mod_lpedge.
// Location is built only from a configured production host plus the raw
// request target: nothing else from the request reaches the host part.
#include "edge.h"

#include <algorithm>
#include <cstdint>

namespace lpedge {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// A DNS name: dot-separated labels of letters, digits, '-' and '_', none
// empty, none over 63 bytes, none starting or ending with '-'.
lpweb::Status check_dns_name(std::string_view name) {
  if (name.empty()) return lpweb::rejected("is empty");
  if (name.size() > 253) return lpweb::rejected("is longer than 253 characters");
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return lpweb::rejected("has an empty label");
    if (label.size() > 63) return lpweb::rejected("has a label longer than 63 characters");
    if (label.front() == '-' || label.back() == '-') return lpweb::rejected("has a label starting or ending with '-'");
    for (char c : label)
      if (!is_label_char(c)) return lpweb::rejected(std::string("contains the character '") + c + "'");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

std::string_view strip_trailing_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// Host without port: "[v6]:p" -> "[v6]", "name:p" -> "name".
std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  std::size_t colon = host.rfind(':');
  if (colon == std::string_view::npos) return host;
  std::string_view port = host.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return host;
  return host.substr(0, colon);
}

bool is_ip_literal(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

bool host_within(std::string_view host, std::string_view domain) {
  if (host.size() == domain.size()) return iequals(host, domain);
  return host.size() > domain.size() && host[host.size() - domain.size() - 1] == '.' &&
         iequals(host.substr(host.size() - domain.size()), domain);
}

bool is_safe_method(std::string_view m) { return m == "GET" || m == "HEAD"; }

// The path and query of a request target. Origin-form is taken as it is;
// absolute-form loses its scheme and authority (an empty path becomes "/").
// Asterisk and authority forms are not redirected.
bool path_and_query(std::string_view target, std::string_view* rest, bool* add_slash) {
  *add_slash = false;
  if (!target.empty() && target.front() == '/') {
    *rest = target;
    return true;
  }
  std::size_t sep = target.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view scheme = target.substr(0, sep);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return false;
  std::string_view after = target.substr(sep + 3);
  std::size_t end = after.find_first_of("/?#");
  if (end == std::string_view::npos) {
    *rest = {};
    *add_slash = true;
    return true;
  }
  *rest = after.substr(end);
  *add_slash = after[end] != '/';
  return true;
}

// A "." or ".." segment, written plainly or with %2e, which httpd would
// resolve after us and so walk out of the exempt prefix.
bool has_dot_segment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    std::size_t dots = 0, i = 0;
    while (i < seg.size()) {
      if (seg[i] == '.') {
        ++i;
      } else if (seg.size() - i >= 3 && seg[i] == '%' && seg[i + 1] == '2' && (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
        i += 3;
      } else {
        break;
      }
      ++dots;
    }
    if (i == seg.size() && (dots == 1 || dots == 2)) return true;
    start = end + 1;
  }
  return false;
}

bool exempted(const std::vector<std::string>& prefixes, std::string_view path_query) {
  std::string_view path = path_query.substr(0, path_query.find('?'));
  if (prefixes.empty() || has_dot_segment(path)) return false;
  for (const std::string& p : prefixes) {
    if (path.size() < p.size() || path.compare(0, p.size(), p) != 0) continue;
    if (p.back() == '/' || path.size() == p.size() || path[p.size()] == '/') return true;
  }
  return false;
}

}  // namespace

lpweb::Status check_edge_host(std::string_view host) {
  std::string_view h = strip_trailing_dot(host);
  if (h.find(':') != std::string_view::npos) return lpweb::rejected("must not carry a port (the port of a request is ignored)");
  if (h.find('*') != std::string_view::npos)
    return lpweb::rejected("must not contain '*' (subdomains of an edge host are matched already)");
  lpweb::Status dns = check_dns_name(h);
  if (!dns) return lpweb::rejected("is not a valid host name: it " + dns.error().message);
  return {};
}

lpweb::Status check_production_host(std::string_view host) {
  if (host.empty()) return lpweb::rejected("is empty");
  std::string_view name = strip_port(host);
  if (name.size() != host.size()) {
    std::string_view port = host.substr(name.size() + 1);
    // strip_port() ends a bracketed name at ']' whatever follows it.
    bool digits = std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (host[name.size()] != ':' || !digits) return lpweb::rejected("has a malformed port");
    if (port.empty() || port.size() > 5 || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
      return lpweb::rejected("has a port outside 1-65535");
  } else if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return lpweb::rejected("has a malformed port");
  }
  if (!name.empty() && name.front() == '[') {
    if (name.back() != ']' || name.size() < 4) return lpweb::rejected("is not a valid bracketed IPv6 address");
    for (char c : name.substr(1, name.size() - 2))
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
        return lpweb::rejected("is not a valid bracketed IPv6 address");
    return {};
  }
  lpweb::Status dns = check_dns_name(strip_trailing_dot(name));
  if (!dns) return lpweb::rejected("is not a valid host name: it " + dns.error().message);
  return {};
}

lpweb::Status check_exempt_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.front() != '/') return lpweb::rejected("must be an absolute URL path starting with '/'");
  if (prefix.find('?') != std::string_view::npos) return lpweb::rejected("must be a path without a query");
  for (unsigned char c : prefix)
    if (c <= 0x20 || c == 0x7f) return lpweb::rejected("must not contain spaces or control characters");
  return {};
}

lpweb::Status check_header_value(std::string_view value) {
  if (value.empty()) return lpweb::rejected("is empty");
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return lpweb::rejected("contains a control character");
  return {};
}

lpweb::Result<int> parse_redirect_status(std::string_view text) {
  static constexpr std::string_view allowed[] = {"301", "302", "303", "307", "308"};
  for (std::string_view a : allowed)
    if (text == a) return (a[0] - '0') * 100 + (a[1] - '0') * 10 + (a[2] - '0');
  return lpweb::rejected("'" + std::string(text) + "' is not a redirect status; use 301, 302, 303, 307 or 308");
}

lpweb::Result<Scheme> parse_scheme(std::string_view text) {
  if (iequals(text, "preserve")) return Scheme::preserve;
  if (iequals(text, "http")) return Scheme::http;
  if (iequals(text, "https")) return Scheme::https;
  return lpweb::rejected("'" + std::string(text) + "' is not one of preserve, http, https");
}

lpweb::Status Policy::add_rule(std::string_view edge_host, std::string_view production_host) {
  if (lpweb::Status edge = check_edge_host(edge_host); !edge)
    return lpweb::rejected("edge host '" + std::string(edge_host) + "' " + edge.error().message);
  if (lpweb::Status production = check_production_host(production_host); !production)
    return lpweb::rejected("production host '" + std::string(production_host) + "' " + production.error().message);

  Rule rule;
  rule.edge_host = to_lower(strip_trailing_dot(edge_host));
  std::string_view prod_name = strip_port(production_host);
  rule.production_host = to_lower(strip_trailing_dot(prod_name)) + std::string(production_host.substr(prod_name.size()));
  std::string_view prod_bare = strip_port(rule.production_host);
  rule.production_is_ip = is_ip_literal(prod_bare);

  for (const Rule& r : rules_) {
    if (r.edge_host == rule.edge_host) return lpweb::rejected("edge host '" + rule.edge_host + "' is configured twice");
    if (host_within(strip_port(r.production_host), rule.edge_host))
      return lpweb::rejected("edge host '" + rule.edge_host + "' contains production host '" + r.production_host +
                             "' of an earlier rule: its requests would be redirected forever");
  }
  for (const Rule& r : rules_)
    if (host_within(prod_bare, r.edge_host))
      return lpweb::rejected("production host '" + rule.production_host + "' lies inside edge host '" + r.edge_host +
                             "': its requests would be redirected forever");
  if (host_within(prod_bare, rule.edge_host))
    return lpweb::rejected("production host '" + rule.production_host + "' lies inside its own edge host '" +
                           rule.edge_host + "': its requests would be redirected forever");

  auto at = std::find_if(rules_.begin(), rules_.end(),
                         [&](const Rule& r) { return r.edge_host.size() < rule.edge_host.size(); });
  rules_.insert(at, std::move(rule));
  rules_set_ = true;
  return {};
}

lpweb::Status Policy::add_exempt(std::string_view prefix) {
  if (lpweb::Status valid = check_exempt_prefix(prefix); !valid)
    return lpweb::rejected("'" + std::string(prefix) + "' " + valid.error().message);
  exempt_.emplace_back(prefix);
  exempt_set_ = true;
  return {};
}

lpweb::Status Policy::set_cache_control(std::string_view value) {
  if (lpweb::Status valid = check_header_value(value); !valid)
    return lpweb::rejected("value '" + std::string(value) + "' " + valid.error().message);
  cache_control = std::string(value);
  return {};
}

Policy Policy::merge(const Policy& base, const Policy& over) {
  Policy out;
  out.rules_ = over.rules_set_ ? over.rules_ : base.rules_;
  out.rules_set_ = over.rules_set_ || base.rules_set_;
  out.exempt_ = over.exempt_set_ ? over.exempt_ : base.exempt_;
  out.exempt_set_ = over.exempt_set_ || base.exempt_set_;
  out.scheme = over.scheme ? over.scheme : base.scheme;
  out.safe_status = over.safe_status ? over.safe_status : base.safe_status;
  out.unsafe_status = over.unsafe_status ? over.unsafe_status : base.unsafe_status;
  out.cache_control = over.cache_control ? over.cache_control : base.cache_control;
  return out;
}

const Rule* match_host(const Policy& policy, std::string_view host, std::string_view* leading) {
  host = strip_trailing_dot(strip_port(host));
  if (host.empty()) return nullptr;
  for (const Rule& rule : policy.rules()) {
    // Most requests are not for an edge host: the suffix test comes first.
    if (!host_within(host, rule.edge_host) || is_ip_literal(host)) continue;
    std::string_view lead = host.substr(0, host.size() - rule.edge_host.size());
    if (!lead.empty()) lead.remove_suffix(1);  // the dot before the edge host
    // The leading labels travel into Location, so they must be plain labels,
    // and an IP-literal production host has no subdomains to put them on.
    if (!lead.empty() && (rule.production_is_ip || !check_dns_name(lead).ok()))
      return nullptr;
    if (leading) *leading = lead;
    return &rule;
  }
  return nullptr;
}

Decision decide(const Policy& policy, const Request& request) {
  if (policy.rules().empty() || request.host.empty()) return {};
  std::string_view leading;
  const Rule* rule = match_host(policy, request.host, &leading);
  if (!rule) return {};
  return decide(policy, request, *rule, leading);
}

Decision decide(const Policy& policy, const Request& request, const Rule& matched, std::string_view leading) {
  Decision d;
  const Rule* rule = &matched;
  std::string_view rest;
  bool add_slash = false;
  if (!path_and_query(request.target, &rest, &add_slash)) return d;
  // httpd refuses these before us; never let one reach a response header.
  for (unsigned char c : rest)
    if (c <= 0x20 || c == 0x7f) {
      d.kind = Decision::bad_request;
      d.status = 400;
      d.rule = rule;
      return d;
    }
  if (!add_slash && exempted(policy.exempt(), rest)) return d;

  Scheme scheme = policy.effective_scheme();
  bool https = scheme == Scheme::https || (scheme == Scheme::preserve && request.secure);
  std::string_view scheme_text = https ? "https://" : "http://";

  d.kind = Decision::redirect;
  d.rule = rule;
  d.safe_method = is_safe_method(request.method);
  d.status = d.safe_method ? policy.effective_safe_status() : policy.effective_unsafe_status();
  d.location.reserve(scheme_text.size() + leading.size() + 1 + rule->production_host.size() + 1 + rest.size());
  d.location.append(scheme_text);
  if (!leading.empty()) {
    for (char c : leading) d.location.push_back(lower(c));
    d.location.push_back('.');
  }
  d.location.append(rule->production_host);
  if (add_slash) d.location.push_back('/');
  d.location.append(rest);
  return d;
}

}  // namespace lpedge
