// mod_lpicing's status page (`SetHandler lpicing-status`): the store's
// revisions and the request counters, as JSON or Prometheus text.
#include "metrics.h"
#include "mod_lpicing.h"
#include "status_page.h"


namespace lpicing_httpd {

int serve_status(request_rec* r) {
  if (int refused = lpweb::httpd::status_page_method(r)) return refused;
  ServerConf* c = conf_of(r->server);
  if (!c->store) return HTTP_NOT_FOUND;
  lpicing::StoreReport report = lpicing::read_store_report(c->store, c->cache);
  lpicing::RequestCounts counts = lpicing::request_counts(c->counters, c->counter_slot);
  bool prometheus = lpweb::httpd::status_page_wants_prometheus(r);
  return lpweb::httpd::send_status_page(
      r, prometheus ? lpicing::status_prometheus(report, counts) : lpicing::status_json(report, counts), prometheus);
}

}  // namespace lpicing_httpd
