// The status pages' common answer (see status_page.h).
#include "status_page.h"

#include <http_protocol.h>
#include <mod_status.h>

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

lpweb::BuildInfo build_info() {
  ap_version_t v;
  ap_get_server_revision(&v);
  lpweb::BuildInfo info;
  info.httpd = std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
  return info;
}

void send_status_section(request_rec* r, int flags, const lpweb::StatusSection& section) {
  std::string text = (flags & AP_STATUS_SHORT) ? lpweb::status_section_auto(section) : lpweb::status_section_html(section);
  ap_rwrite(text.data(), static_cast<int>(text.size()), r);
}

}  // namespace lpweb::httpd
