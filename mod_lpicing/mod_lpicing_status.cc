// mod_lpicing's status page (`SetHandler lpicing-status`): the store's
// revisions and the request counters, as JSON or Prometheus text.
#include "metrics.h"
#include "mod_lpicing.h"

#include <http_protocol.h>

namespace lpicing_httpd {

int serve_status(request_rec* r) {
  r->allowed |= (AP_METHOD_BIT << M_GET);
  if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
  ServerConf* c = conf_of(r->server);
  if (!c->store) return HTTP_NOT_FOUND;
  lpicing::StoreReport report = lpicing::read_store_report(c->store, c->cache);
  lpicing::RequestCounts counts = lpicing::request_counts(c->counters, c->counter_slot);
  bool prometheus = r->args && lpicing::wants_prometheus(r->args);
  std::string body = prometheus ? lpicing::status_prometheus(report, counts) : lpicing::status_json(report, counts);
  ap_set_content_type(r, prometheus ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
  apr_table_setn(r->headers_out, "Cache-Control", "no-store");
  ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
  if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
  return OK;
}

}  // namespace lpicing_httpd
