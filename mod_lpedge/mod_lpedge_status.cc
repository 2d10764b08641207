// mod_lpedge's status: the lpedge-status page (`SetHandler lpedge-status`,
// JSON or Prometheus text) and its section of mod_status's /server-status.
// Every virtual host shares one counter table, so any server's copy will do.
#include <cstring>

#include "mod_lpedge.h"
#include "status_page.h"

#include <mod_status.h>

using namespace lpedge_httpd;

extern "C" {

int lpedge_status_handler(request_rec* r) {
  if (!r->handler || std::strcmp(r->handler, "lpedge-status") != 0) return DECLINED;
  return guarded(r, HTTP_INTERNAL_SERVER_ERROR, [&]() -> int {
    if (int refused = lpweb::httpd::status_page_method(r)) return refused;
    ServerConf* conf = conf_of(r->server);
    lpweb::CounterTable table = conf ? conf->counters : lpweb::CounterTable();
    lpweb::BuildInfo build = lpweb::httpd::build_info();
    bool prometheus = lpweb::httpd::status_page_wants_prometheus(r);
    return lpweb::httpd::send_status_page(
        r, prometheus ? lpedge::status_prometheus(table, build) : lpedge::status_json(table, build), prometheus);
  });
}

// mod_status calls this for /server-status (HTML) and ?auto (AP_STATUS_SHORT).
int lpedge_status_hook(request_rec* r, int flags) {
  // OK whatever happens: any other answer would stop mod_status's later sections.
  return lpweb::httpd::guarded(r, OK, "LPE0120: cannot write the section of mod_status's page", [&]() -> int {
    ServerConf* conf = conf_of(r->server);
    if (!conf) return OK;
    lpweb::httpd::send_status_section(r, flags, lpedge::status_section(conf->counters));
    return OK;
  });
}

}  // extern "C"
