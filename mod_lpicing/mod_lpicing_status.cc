// mod_lpicing's status: the lpicing-status page (`SetHandler lpicing-status`:
// the store's revisions, the request counters, the drop directory and the
// build, as JSON or Prometheus text) and its section of mod_status's page.
#include <cstring>
#include <vector>

#include "journal.h"
#include "metrics.h"
#include "mod_lpicing.h"
#include "status_page.h"

#include <http_main.h>
#include <mod_status.h>

namespace lpicing_httpd {
namespace {

// Reads what one store's status shows and hands it to `show`.
template <typename F>
auto with_status_inputs(ServerConf* c, F&& show) {
  lpicing::StoreReport report = lpicing::read_store_report(c->store, c->cache);
  lpicing::RequestCounts counts = lpicing::request_counts(c->counters, c->counter_slot);
  lpicing::DropMetrics drop = lpicing::drop_metrics(c->drop_gauges, c->drop_slot, lpicing::read_drop_state(c->store));
  lpweb::BuildInfo build = lpweb::httpd::build_info();
  return show(lpicing::StatusInputs{report, counts, drop, build});
}

}  // namespace

int serve_status(request_rec* r) {
  if (int refused = lpweb::httpd::status_page_method(r)) return refused;
  ServerConf* c = conf_of(r->server);
  if (!c->store) return HTTP_NOT_FOUND;
  bool prometheus = lpweb::httpd::status_page_wants_prometheus(r);
  return with_status_inputs(c, [&](const lpicing::StatusInputs& in) {
    return lpweb::httpd::send_status_page(r, prometheus ? lpicing::status_prometheus(in) : lpicing::status_json(in),
                                          prometheus);
  });
}

}  // namespace lpicing_httpd

using namespace lpicing_httpd;

extern "C" {

// mod_status calls this for /server-status (HTML) and ?auto (AP_STATUS_SHORT):
// one section per store, named by the first server that uses it.
int lpicing_status_hook(request_rec* r, int flags) {
  // OK whatever happens: any other answer would stop mod_status's later sections.
  return lpweb::httpd::guarded(r, OK, "LPI0405: cannot write the section of mod_status's page", [&]() -> int {
    std::vector<const char*> shown;
    for (server_rec* v = ap_server_conf; v; v = v->next) {
      ServerConf* c = conf_of(v);
      if (!c || !c->store) continue;
      bool seen = false;
      for (const char* s : shown) seen = seen || std::strcmp(s, c->store) == 0;
      if (seen) continue;
      shown.push_back(c->store);
      const char* name = v->server_hostname ? v->server_hostname : "(unnamed server)";
      with_status_inputs(c, [&](const lpicing::StatusInputs& in) {
        lpweb::httpd::send_status_section(r, flags, lpicing::status_section(in, name));
        return 0;
      });
    }
    return OK;
  });
}

}  // extern "C"
