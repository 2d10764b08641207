// mod_lpicing's httpd adapter, shared by its files (not installed): the
// server config, the per-request state, and the hooks each file defines.
// mod_lpicing.cc holds the module record, the hook registration and the
// directive table; config, watcher, serve, status and counters the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <string>

#include "bodycache.h"
#include "combo.h"
#include "counter_table.h"
#include "serve.h"
#include "settings.h"

// httpd.h first: the other httpd headers rely on its types.
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

extern "C" {
extern __attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA lpicing_module;
APLOG_USE_MODULE(lpicing);
}

#include "glue.h"  // after APLOG_USE_MODULE: its guarded() logs as this module

namespace lpicing_httpd {

inline constexpr const char kHandler[] = "lpicing";
inline constexpr const char kStatusHandler[] = "lpicing-status";
inline constexpr const char kCountedNote[] = "lpicing";  // r->notes: a request for an icing URL

// The directives' values (lpicing::Settings: merge and defaults are the
// core's), then what the hooks set up from them. Made by apr_pcalloc: every
// field here is valid zeroed.
struct ServerConf : lpicing::Settings {
  const char* current_cache_control;  // from current_max_age, made in check_config
  long uid, gid;                      // LPIcingUser resolved in check_config; -1 until then
  lpicing::IndexCache* cache;         // one per child, set in child_init
  lpweb::CounterTable counters;       // shared request counters, set in post_config
  int counter_slot;                   // this store's row in them; -1: not counted
  lpweb::CounterTable drop_gauges;    // shared drop-directory gauges (the watcher writes), set in post_config
  int drop_slot;                      // this drop directory's row in them; -1: none
  lpicing::BodyCache* bodies;         // small bodies mapped once per child, set in child_init
  lpicing::ComboCache* combo_cache;   // one per child, set in child_init; null: none
  lpicing::CompressorSlots compressors;  // the httpd-wide slots, set in post_config; empty: none
};

// What translate_name resolved, kept for the handler: one revision per request.
struct RequestState {
  RequestState() = default;
  explicit RequestState(lpicing::ResolvedFile f) : file(std::move(f)) {}
  lpicing::ResolvedFile file;
  bool is_combo = false;  // PREFIX/+combo/...: `combo` instead of `file`
  lpicing::ResolvedCombo combo;
  std::shared_ptr<const std::string> combo_body;  // held until the request pool goes
};

inline ServerConf* conf_of(server_rec* s) {
  return static_cast<ServerConf*>(ap_get_module_config(s->module_config, &lpicing_module));
}

inline RequestState* state_of(request_rec* r) {
  return static_cast<RequestState*>(ap_get_module_config(r->request_config, &lpicing_module));
}

using lpweb::httpd::delete_object;

// The one place exceptions stop for request hooks: 500, logged as LPI0100.
template <typename F>
int guarded(request_rec* r, F&& body) noexcept {
  return lpweb::httpd::guarded(r, HTTP_INTERNAL_SERVER_ERROR, "LPI0100: internal error", std::forward<F>(body));
}

// mod_lpicing_status.cc: the lpicing-status handler's body.
int serve_status(request_rec* r);

}  // namespace lpicing_httpd

// The hooks and directive handlers, by file. C linkage: httpd calls them.
extern "C" {
// mod_lpicing_config.cc
void* lpicing_create_server_conf(apr_pool_t* pool, server_rec* s);
void* lpicing_merge_server_conf(apr_pool_t* pool, void* base, void* over);
int lpicing_check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
const char* lpicing_cmd_directory(cmd_parms* cmd, void*, const char* arg);  // LPIcingStore, LPIcingIncoming
const char* lpicing_cmd_prefix(cmd_parms* cmd, void*, const char* arg);
const char* lpicing_cmd_trusted_key(cmd_parms* cmd, void*, const char* arg);
const char* lpicing_cmd_tool(cmd_parms* cmd, void*, const char* arg);
// Every numeric directive (lpicing::set_numeric_directive has their rules).
const char* lpicing_cmd_number(cmd_parms* cmd, void*, const char* arg);
const char* lpicing_cmd_quick(cmd_parms* cmd, void*, int on);
const char* lpicing_cmd_user(cmd_parms* cmd, void*, const char* user, const char* group);
// mod_lpicing_watcher.cc
int lpicing_start_watcher(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
// mod_lpicing_serve.cc
int lpicing_setup_compressors(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
void lpicing_child_init(apr_pool_t* pchild, server_rec* s);
int lpicing_translate_name(request_rec* r);
int lpicing_map_to_storage(request_rec* r);
int lpicing_fixups(request_rec* r);
int lpicing_handler(request_rec* r);
int lpicing_quick_handler(request_rec* r, int lookup);
// mod_lpicing_counters.cc
int lpicing_setup_counters(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
int lpicing_count_request(request_rec* r);
// mod_lpicing_status.cc: mod_status's section (/server-status, ?auto)
int lpicing_status_hook(request_rec* r, int flags);
}
