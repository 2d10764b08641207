// mod_lpedge: the httpd adapter. Owns every httpd type: directives, server
// config create/merge, the shared counters, the redirect hook and the module
// record; the status pages are mod_lpedge_status.cc's. The decisions
// themselves are made by the core (core/edge.h).
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "lasting.h"
#include "mod_lpedge.h"
#include "upgrade.h"

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_status.h>

using namespace lpedge_httpd;

namespace {

constexpr const char kCounterName[] = "lpedge-counters";

ServerConf* make_conf(apr_pool_t* pool, lpedge::Policy&& policy) {
  auto* conf = static_cast<ServerConf*>(apr_pcalloc(pool, sizeof(ServerConf)));
  conf->policy = new lpedge::Policy(std::move(policy));
  apr_pool_cleanup_register(pool, conf->policy, lpweb::httpd::delete_object<lpedge::Policy>, apr_pool_cleanup_null);
  return conf;
}

// ... and a directive handler turns them into the operator's error message.
template <typename F>
const char* guarded_directive(cmd_parms* cmd, F&& body) noexcept {
  try {
    lpweb::Status done = body(conf_of(cmd->server)->policy);
    if (done) return nullptr;
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", done.error().message.c_str(), nullptr);
  } catch (const std::exception& e) {
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", e.what(), nullptr);
  }
}

}  // namespace

extern "C" {

static void* create_server_conf(apr_pool_t* pool, server_rec*) {
  try {
    return make_conf(pool, lpedge::Policy());
  } catch (...) {
    return nullptr;
  }
}

static void* merge_server_conf(apr_pool_t* pool, void* base, void* over) {
  try {
    return make_conf(pool, lpedge::Policy::merge(*static_cast<ServerConf*>(base)->policy,
                                                 *static_cast<ServerConf*>(over)->policy));
  } catch (...) {
    return nullptr;
  }
}

static const char* cmd_redirect(cmd_parms* cmd, void*, const char* edge, const char* production) {
  return guarded_directive(cmd, [&](lpedge::Policy* p) { return p->add_rule(edge, production); });
}

static const char* cmd_scheme(cmd_parms* cmd, void*, const char* arg) {
  return guarded_directive(cmd, [&](lpedge::Policy* p) -> lpweb::Status {
    lpweb::Result<lpedge::Scheme> scheme = lpedge::parse_scheme(arg);
    if (!scheme) return scheme.error();
    p->scheme = *scheme;
    return {};
  });
}

// cmd->info tells LPEdgeStatus (non-null) from LPEdgeUnsafeMethodStatus.
static const char* cmd_status(cmd_parms* cmd, void*, const char* arg) {
  return guarded_directive(cmd, [&](lpedge::Policy* p) -> lpweb::Status {
    lpweb::Result<int> status = lpedge::parse_redirect_status(arg);
    if (!status) return status.error();
    (cmd->info ? p->safe_status : p->unsafe_status) = *status;
    return {};
  });
}

static const char* cmd_exempt(cmd_parms* cmd, void*, const char* arg) {
  return guarded_directive(cmd, [&](lpedge::Policy* p) { return p->add_exempt(arg); });
}

static const char* cmd_cache_control(cmd_parms* cmd, void*, const char* arg) {
  return guarded_directive(cmd, [&](lpedge::Policy* p) { return p->set_cache_control(arg); });
}

// The counters last as long as httpd (graceful restarts included): their
// keys in the parent's private memory, their values shared with children.
static int post_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
  try {
    bool full = false;
    int made = lpweb::httpd::with_lasting_counters(
        s, kCounterName, lpedge::redirect_counter_shape(), "LPE0001: redirect counters",
        [&](server_rec* v, lpweb::CounterTable& table) {
          ServerConf* conf = conf_of(v);
          conf->counters = table;
          for (lpedge::Rule& rule : conf->policy->rules()) {
            rule.slot_safe = lpedge::redirect_row(table, rule.edge_host, conf->policy->effective_safe_status());
            rule.slot_unsafe = lpedge::redirect_row(table, rule.edge_host, conf->policy->effective_unsafe_status());
            full = full || rule.slot_safe < 0 || rule.slot_unsafe < 0;
          }
        });
    if (made != OK) return made;
    if (full)
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                   "LPE0002: more than %ld (edge host, status) pairs since start: some redirects are not counted "
                   "until a full restart", static_cast<long>(lpedge::redirect_counter_shape().rows));
    return OK;
  } catch (const std::exception& e) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "LPE0003: cannot set up: %s", e.what());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
}

// Runs before httpd decodes and normalises the path, so Location can carry
// the target exactly as received, and before any other handler sees it.
static int quick_handler(request_rec* r, int lookup_uri) {
  // Not for subrequests or internal redirects (ErrorDocument of an exempt
  // path must stay an error, not become a redirect).
  if (lookup_uri || r->main || r->prev) return DECLINED;
  ServerConf* conf = conf_of(r->server);
  if (!conf || conf->policy->rules().empty() || !r->hostname || !r->unparsed_uri) return DECLINED;
  return guarded(r, DECLINED, [&]() -> int {
    // The cheap no for every request that is not for an edge host.
    std::string_view leading;
    const lpedge::Rule* matched = lpedge::match_host(*conf->policy, r->hostname, &leading);
    if (!matched) return DECLINED;
    lpedge::Request request;
    request.host = r->hostname;
    request.method = r->method ? r->method : "";
    request.target = r->unparsed_uri;
    request.secure = std::strcmp(ap_http_scheme(r), "https") == 0;
    lpedge::Decision d = lpedge::decide(*conf->policy, request, *matched, leading);
    if (d.kind == lpedge::Decision::pass) {
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                    "LPE0112: %s %s on %s matched edge host %s: exempt path (or no path), not redirected", r->method,
                    r->unparsed_uri, r->hostname, matched->edge_host.c_str());
      return DECLINED;
    }
    if (d.kind == lpedge::Decision::bad_request) {
      ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "LPE0111: control byte in request target on %s: 400",
                    r->hostname);
      return HTTP_BAD_REQUEST;
    }
    // Upgrade: h2c, which httpd's own upgrade (a handler hook) would never
    // see: the redirect then goes out as h2 stream 1, through this hook again.
    if (const char* protocol = lpweb::httpd::switch_protocol_if_asked(r)) {
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPE0113: %s %s on %s: switched to %s, redirected there",
                    r->method, r->unparsed_uri, r->hostname, protocol);
      return DONE;
    }
    // Answered here rather than through ap_die(): no canned HTML page to
    // build and escape, just the status line and headers. A request body is
    // still read and discarded by ap_finalize_request_protocol(), so
    // keep-alive survives a POST.
    // No body: httpd's content-length filter adds "Content-Length: 0".
    r->status = d.status;
    r->status_line = nullptr;
    const char* location = apr_pstrmemdup(r->pool, d.location.data(), d.location.size());
    apr_table_setn(r->headers_out, "Location", location);
    if (conf->policy->cache_control)
      apr_table_setn(r->headers_out, "Cache-Control", conf->policy->cache_control->c_str());
    apr_table_setn(r->subprocess_env, "LPEDGE_REDIRECTED", d.rule->edge_host.c_str());
    // Output filters are normally inserted after quick handlers; without
    // this, mod_headers' "Header [always] set" (HSTS...) would miss redirects.
    ap_run_insert_filter(r);
    conf->counters.add(d.safe_method ? d.rule->slot_safe : d.rule->slot_unsafe, 0);
    // (In C++ ap_log_rerror is a plain call: the level test keeps its arguments off the hot path.)
    if (APLOG_R_IS_LEVEL(r, APLOG_DEBUG))
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPE0110: %s %s on %s matched edge host %s: %d to %s", r->method,
                    r->unparsed_uri, r->hostname, d.rule->edge_host.c_str(), d.status, location);
    return OK;
  });
}

static void register_hooks(apr_pool_t*) {
  ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
  // Before mod_cache's quick handler (also APR_HOOK_FIRST): an edge request
  // must never be answered, or left uncounted, from a cache.
  ap_hook_quick_handler(quick_handler, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
  ap_hook_handler(lpedge_status_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
  APR_OPTIONAL_HOOK(ap, status_hook, lpedge_status_hook, nullptr, nullptr, APR_HOOK_MIDDLE);
}

static const command_rec lpedge_cmds[] = {
    AP_INIT_TAKE2("LPEdgeRedirect", LPWEB_CMD(cmd_redirect), nullptr, RSRC_CONF,
                  "EDGE-HOST PRODUCTION-HOST[:PORT]: redirect EDGE-HOST and its subdomains to the same URL on "
                  "PRODUCTION-HOST, keeping leading labels (repeatable; longest edge host wins)"),
    AP_INIT_TAKE1("LPEdgeScheme", LPWEB_CMD(cmd_scheme), nullptr, RSRC_CONF,
                  "preserve|http|https: scheme of Location (default preserve)"),
    AP_INIT_TAKE1("LPEdgeStatus", LPWEB_CMD(cmd_status), reinterpret_cast<void*>(1), RSRC_CONF,
                  "301|302|303|307|308: status for GET and HEAD (default 301)"),
    AP_INIT_TAKE1("LPEdgeUnsafeMethodStatus", LPWEB_CMD(cmd_status), nullptr, RSRC_CONF,
                  "301|302|303|307|308: status for every other method (default 308, which keeps method and body)"),
    AP_INIT_ITERATE("LPEdgeExempt", LPWEB_CMD(cmd_exempt), nullptr, RSRC_CONF,
                    "URL-PATH prefix (at a segment boundary) never redirected, e.g. /.well-known/acme-challenge/"),
    AP_INIT_TAKE1("LPEdgeCacheControl", LPWEB_CMD(cmd_cache_control), nullptr, RSRC_CONF,
                  "Cache-Control header value for redirects, e.g. \"max-age=3600\" (default: none)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr}};

// Per server only: no per-directory config (the two nullptrs).
module AP_MODULE_DECLARE_DATA lpedge_module = {STANDARD20_MODULE_STUFF, nullptr,           nullptr,
                                              create_server_conf,      merge_server_conf, lpedge_cmds,
                                              register_hooks,          AP_MODULE_FLAG_NONE};

}  // extern "C"
