// The status pages' common answer (see status_page.h).
#include "status_page.h"

#include <http_protocol.h>

#include "text.h"

namespace lpweb::httpd {

int status_page_method(request_rec* r) {
  r->allowed |= (AP_METHOD_BIT << M_GET);
  return r->method_number == M_GET ? OK : HTTP_METHOD_NOT_ALLOWED;
}

bool status_page_wants_prometheus(const request_rec* r) {
  return r->args && lpweb::wants_prometheus(r->args);
}

int send_status_page(request_rec* r, const std::string& body, bool prometheus) {
  ap_set_content_type(r, prometheus ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
  apr_table_setn(r->headers_out, "Cache-Control", "no-store");
  ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
  if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
  return OK;
}

}  // namespace lpweb::httpd
