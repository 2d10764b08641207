// The C boundary both modules share: how a C++ handler becomes a directive
// table entry, and where exceptions stop in a request hook (status_page.h
// has how a status page answers). Include after the module's APLOG_USE_MODULE(name): guarded() logs
// under that module.
#pragma once

#include <exception>

// httpd.h first: the other httpd headers rely on its types.
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "lasting.h"

// A directive handler of any arity as the cmd_func union's first member.
#define LPWEB_CMD(fn) reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn))

namespace lpweb::httpd {

// The one place exceptions stop in a request hook: `body()`'s result, or
// `fallback` after logging `what` (a tagged message) at error level.
template <typename F>
int guarded(request_rec* r, int fallback, const char* what, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s: %s", what, e.what());
  } catch (...) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s", what);
  }
  return fallback;
}

// The module's lasting counter table (lasting.h) for post_config: `each(v,
// table)` for every server, then OK; or, when the shared memory cannot be
// made, `what` logged at crit ("LPX0001: ... for redirect counters") and 500.
template <typename F>
int with_lasting_counters(server_rec* s, const char* name, const lpweb::CounterShape& shape, const char* what,
                          F&& each) {
  lpweb::Result<lpweb::CounterTable> table = lasting_counter_table(s, name, shape);
  if (!table) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, table.error().code, s, "%s: %s", what, table.error().message.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  for (server_rec* v = s; v; v = v->next) each(v, *table);  // a non-const table: rows are registered
  return OK;
}

// A pool cleanup that deletes a C++ object tied to that pool.
template <typename T>
apr_status_t delete_object(void* object) {
  delete static_cast<T*>(object);
  return APR_SUCCESS;
}

}  // namespace lpweb::httpd
