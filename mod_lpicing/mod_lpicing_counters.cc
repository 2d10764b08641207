// mod_lpicing's request counters: one table in anonymous shared memory that
// every child adds to, set up by the parent, read by the status handler; and
// the drop directories' gauges, a second table each watcher writes.
#include "lasting.h"
#include "metrics.h"
#include "mod_lpicing.h"

using namespace lpicing_httpd;

namespace {

constexpr const char kCounterName[] = "lpicing-counters";
constexpr const char kDropGaugeName[] = "lpicing-drop-gauges";

}  // namespace

extern "C" {

// The counters last as long as httpd (graceful restarts included): their
// keys (store paths) in the parent's private memory, their values shared.
int lpicing_setup_counters(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
  int made = lpweb::httpd::with_lasting_counters(
      s, kDropGaugeName, lpicing::drop_gauge_shape(), "LPI0404: drop-directory gauges",
      [](server_rec* v, lpweb::CounterTable& table) {
        ServerConf* c = conf_of(v);
        c->drop_gauges = table;
        c->drop_slot = c->incoming && c->store ? lpicing::path_row(table, c->incoming) : -1;
        if (c->incoming && c->store && c->drop_slot < 0)
          ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                       "LPI0406: drop directory %s has no waiting count or heartbeat on the status pages: more than "
                       "%ld drop directories since start, or a path over %ld bytes", c->incoming,
                       static_cast<long>(lpicing::drop_gauge_shape().rows),
                       static_cast<long>(lpicing::kMaxCountedStoreBytes));
      });
  if (made != OK) return made;
  return lpweb::httpd::with_lasting_counters(
      s, kCounterName, lpicing::request_counter_shape(), "LPI0402: request counters",
      [](server_rec* v, lpweb::CounterTable& table) {
        ServerConf* c = conf_of(v);
        c->counters = table;
        c->counter_slot = c->store ? lpicing::path_row(table, c->store) : -1;
        if (c->store && c->counter_slot < 0)
          ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                       "LPI0403: requests for store %s are not counted: more than %ld stores since start, or a "
                       "path over %ld bytes", c->store, static_cast<long>(lpicing::request_counter_shape().rows),
                       static_cast<long>(lpicing::kMaxCountedStoreBytes));
      });
}

// Counts every request for an icing URL once, by its final status (after any
// ErrorDocument redirect) and the body bytes sent, as mod_log_config sees them.
int lpicing_count_request(request_rec* r) {
  request_rec* first = r;
  while (first->prev) first = first->prev;
  if (!apr_table_get(first->notes, kCountedNote)) return DECLINED;
  request_rec* last = r;
  while (last->next) last = last->next;
  ServerConf* c = conf_of(first->server);
  lpicing::count_request(c->counters, c->counter_slot, last->status,
                         static_cast<std::uint64_t>(last->bytes_sent > 0 ? last->bytes_sent : 0));
  return DECLINED;
}

}  // extern "C"
