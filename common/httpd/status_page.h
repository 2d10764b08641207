// How both modules' status pages answer: GET only, JSON by default or
// Prometheus text with ?format=prometheus, never cached.
#pragma once

#include <string>

#include <httpd.h>

namespace lpweb::httpd {

// OK for GET (HEAD included), else 405 with Allow: GET.
int status_page_method(request_rec* r);

// Whether the page was asked for Prometheus text (?format=prometheus).
bool status_page_wants_prometheus(const request_rec* r);

// Sends the page's body with its content type and Cache-Control: no-store.
int send_status_page(request_rec* r, const std::string& body, bool prometheus);

}  // namespace lpweb::httpd
