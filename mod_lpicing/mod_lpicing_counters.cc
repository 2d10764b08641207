// mod_lpicing's request counters: one table in anonymous shared memory that
// every child adds to, set up by the parent, read by the status handler.
#include "metrics.h"
#include "mod_lpicing.h"

#include <apr_shm.h>

using namespace lpicing_httpd;

namespace {

constexpr const char kCounterKey[] = "lpicing-counters";
constexpr std::size_t kCounterSlots = 64;  // stores counted per httpd

}  // namespace

extern "C" {

// Request counters live in anonymous shared memory owned by the process pool,
// so the children inherit them and they survive graceful restarts.
int lpicing_setup_counters(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
  void* memory = nullptr;
  apr_pool_userdata_get(&memory, kCounterKey, s->process->pool);
  if (!memory) {
    apr_size_t bytes = lpicing::RequestCounterTable::bytes_for(kCounterSlots);
    apr_shm_t* shm = nullptr;
    apr_status_t rv = apr_shm_create(&shm, bytes, nullptr, s->process->pool);
    if (rv != APR_SUCCESS) {
      ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                   "LPI0402: cannot create shared memory for request counters (%" APR_SIZE_T_FMT " bytes)", bytes);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_userdata_set(shm, "lpweb-shm:lpicing-counters", apr_pool_cleanup_null, s->process->pool);
    memory = apr_shm_baseaddr_get(shm);
    lpicing::RequestCounterTable::format(memory, apr_shm_size_get(shm));
    apr_pool_userdata_set(memory, kCounterKey, apr_pool_cleanup_null, s->process->pool);
  }
  lpicing::RequestCounterTable table(memory);
  for (server_rec* v = s; v; v = v->next) {
    ServerConf* c = conf_of(v);
    c->counters = memory;
    c->counter_slot = c->store ? table.slot_for(c->store) : -1;
    if (c->store && c->counter_slot < 0)
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                   "LPI0403: requests for store %s are not counted: more than %zu stores since start, or a path "
                   "over %zu bytes", c->store, kCounterSlots, lpicing::RequestCounterTable::kStoreBytes - 1);
  }
  return OK;
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
  lpicing::RequestCounterTable(c->counters)
      .add(c->counter_slot, last->status, static_cast<std::uint64_t>(last->bytes_sent > 0 ? last->bytes_sent : 0));
  return DECLINED;
}

// The fast path (LPIcingQuickHandler On, the default): icing URLs are answered
// straight after the request is read, as mod_cache's CacheQuickHandler does,
// skipping the location walk, access checks and mapping that public,

}  // extern "C"
