// mod_lpedge's core: which requests to an edge host are redirected, and where.
// Knows nothing of httpd: the adapter hands it the host httpd resolved, the
// method and the raw request target, and sends whatever decide() returns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace lpedge {

enum class Scheme { preserve, http, https };

struct Rule {
  std::string edge_host;        // lower case, no trailing dot, no port
  std::string production_host;  // lower case, may carry ":port"
  bool production_is_ip = false;  // an IP literal: no subdomains to keep leading labels on
  // Indices into the shared counter table for (edge host, status); -1 when
  // not registered. Filled in by the adapter after configuration.
  int slot_safe = -1;
  int slot_unsafe = -1;
};

// Directive argument checks: the error is the reason in words an operator
// can act on.
lpweb::Status check_edge_host(std::string_view host);
lpweb::Status check_production_host(std::string_view host);
lpweb::Status check_exempt_prefix(std::string_view prefix);
lpweb::Status check_header_value(std::string_view value);
lpweb::Result<int> parse_redirect_status(std::string_view text);  // 301 302 303 307 308
lpweb::Result<Scheme> parse_scheme(std::string_view text);

// The redirect settings of one server (main or virtual host). Fields left
// unset inherit from the enclosing server in merge().
class Policy {
 public:
  // Adds EDGE-HOST -> PRODUCTION-HOST; the reason when refused (invalid
  // name, edge host given twice, production host that would loop).
  lpweb::Status add_rule(std::string_view edge_host, std::string_view production_host);
  lpweb::Status add_exempt(std::string_view prefix);
  lpweb::Status set_cache_control(std::string_view value);

  std::optional<Scheme> scheme;
  std::optional<int> safe_status;    // GET and HEAD
  std::optional<int> unsafe_status;  // every other method
  std::optional<std::string> cache_control;

  // A virtual host that names any edge host replaces the inherited list, and
  // the same for exempt prefixes: lists are not concatenated.
  static Policy merge(const Policy& base, const Policy& over);

  // Rules, longest edge host first, so the first match is the longest.
  const std::vector<Rule>& rules() const { return rules_; }
  std::vector<Rule>& rules() { return rules_; }
  const std::vector<std::string>& exempt() const { return exempt_; }

  Scheme effective_scheme() const { return scheme.value_or(Scheme::preserve); }
  int effective_safe_status() const { return safe_status.value_or(301); }
  int effective_unsafe_status() const { return unsafe_status.value_or(308); }

 private:
  std::vector<Rule> rules_;
  std::vector<std::string> exempt_;
  bool rules_set_ = false;
  bool exempt_set_ = false;
};

struct Request {
  std::string_view host;    // as httpd resolved it; empty when the request named none
  std::string_view method;  // e.g. "GET"
  std::string_view target;  // the request target exactly as received
  bool secure = false;      // the connection is https
};

struct Decision {
  enum Kind { pass, redirect, bad_request } kind = pass;
  int status = 0;
  std::string location;
  const Rule* rule = nullptr;
  bool safe_method = false;
};

// The longest rule whose edge host equals `host` or is a suffix of it at a
// label boundary, ignoring case, a port and one trailing dot.
// `leading` receives the labels in front of the edge host ("" for an exact match).
const Rule* match_host(const Policy& policy, std::string_view host, std::string_view* leading);

// The redirect for `request`, or pass when it is not to be redirected.
Decision decide(const Policy& policy, const Request& request);
// The same for a request whose host match_host() matched to `rule` with
// `leading` labels: what an adapter that asked match_host first calls.
Decision decide(const Policy& policy, const Request& request, const Rule& rule, std::string_view leading);

}  // namespace lpedge
