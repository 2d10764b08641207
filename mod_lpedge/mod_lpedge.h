// mod_lpedge's httpd adapter, shared by its two files (not installed): the
// server config and the hooks each file defines. mod_lpedge.cc holds the
// directives, the redirect and the module record; mod_lpedge_status.cc the
// lpedge-status page and the section of mod_status's page.
#pragma once

#include <utility>

#include "counters.h"
#include "edge.h"

// httpd.h first: the other httpd headers rely on its types.
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

extern "C" {
extern __attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA lpedge_module;
APLOG_USE_MODULE(lpedge);
}

#include "glue.h"  // after APLOG_USE_MODULE: its guarded() logs as this module

namespace lpedge_httpd {

struct ServerConf {
  lpedge::Policy* policy;         // owned by the config pool (cleanup deletes it)
  lpweb::CounterTable counters;   // shared redirect counters, set in post_config
};

inline ServerConf* conf_of(server_rec* s) {
  return static_cast<ServerConf*>(ap_get_module_config(s->module_config, &lpedge_module));
}

// The one place exceptions stop in a request hook: logged, and `fallback`.
template <typename F>
int guarded(request_rec* r, int fallback, F&& body) noexcept {
  return lpweb::httpd::guarded(r, fallback, "LPE0100: internal error, request not redirected",
                               std::forward<F>(body));
}

}  // namespace lpedge_httpd

// mod_lpedge_status.cc; C linkage: httpd calls them.
extern "C" {
int lpedge_status_handler(request_rec* r);
int lpedge_status_hook(request_rec* r, int flags);
}
