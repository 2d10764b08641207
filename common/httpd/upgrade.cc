// See upgrade.h. The steps are those RFC 9110 §7.8 and httpd's protocol API
// (http_protocol.h: ap_select_protocol, ap_switch_protocol) ask for.
#include "upgrade.h"

#include <cstring>

#include <http_core.h>
#include <http_protocol.h>

namespace lpweb::httpd {

const char* switch_protocol_if_asked(request_rec* r) {
  conn_rec* c = r->connection;
  const char* upgrade = apr_table_get(r->headers_in, "Upgrade");
  if (!upgrade || !*upgrade || c->master) return nullptr;  // an h2 stream never upgrades
  const char* connection = apr_table_get(r->headers_in, "Connection");
  if (!connection || !ap_find_token(r->pool, connection, "upgrade")) return nullptr;
  apr_array_header_t* offers = nullptr;
  if (ap_parse_token_list_strict(r->pool, upgrade, &offers, 0) != nullptr || !offers || offers->nelts == 0)
    return nullptr;  // a malformed Upgrade is ignored, as httpd's own upgrade does
  const char* chosen = ap_select_protocol(c, r, r->server, offers);
  if (!chosen || std::strcmp(chosen, ap_get_protocol(c)) == 0) return nullptr;
  // Only the upgrade's own headers go with the 101.
  apr_table_clear(r->headers_out);
  apr_table_setn(r->headers_out, "Upgrade", chosen);
  apr_table_setn(r->headers_out, "Connection", "Upgrade");
  r->status = HTTP_SWITCHING_PROTOCOLS;
  r->status_line = ap_get_status_line(r->status);
  ap_send_interim_response(r, 1);
  ap_switch_protocol(c, r, r->server, chosen);
  // The new protocol has had the connection; nothing more goes out on it as HTTP/1.1.
  c->keepalive = AP_CONN_CLOSE;
  return chosen;
}

}  // namespace lpweb::httpd
