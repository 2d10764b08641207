// How both modules' status pages answer: GET only, JSON by default or
// Prometheus text with ?format=prometheus, never cached; and what they add
// to mod_status's page.
#pragma once

#include <string>

#include <httpd.h>

#include "status_section.h"

namespace lpweb::httpd {

// OK for GET (HEAD included), else 405 with Allow: GET.
int status_page_method(request_rec* r);

// Whether the page was asked for Prometheus text (?format=prometheus).
bool status_page_wants_prometheus(const request_rec* r);

// Sends the page's body with its content type and Cache-Control: no-store.
int send_status_page(request_rec* r, const std::string& body, bool prometheus);

// The build both status pages report, with httpd's version as it runs.
lpweb::BuildInfo build_info();

// Writes `section` into mod_status's page from its status_hook: "KEY: VALUE"
// lines for /server-status?auto (AP_STATUS_SHORT in `flags`), else HTML.
void send_status_section(request_rec* r, int flags, const lpweb::StatusSection& section);

}  // namespace lpweb::httpd
