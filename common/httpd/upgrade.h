// HTTP/1.1 Upgrade (h2c) for responses made in a quick handler. httpd's own
// upgrade runs as a handler hook, which a quick handler's answer never
// reaches; both modules call this instead, through httpd's public API.
#pragma once

#include <httpd.h>

namespace lpweb::httpd {

// When `r` asks to upgrade (Connection: upgrade, Upgrade: PROTOCOLS) on a
// primary connection and httpd selects one of the offered protocols other
// than the current one (Protocols, and the protocol's module agreeing, as
// mod_http2 does for h2c): sends 101, switches the connection (mod_http2
// then serves `r` again as h2 stream 1) and returns the protocol; the
// caller returns DONE. Otherwise nullptr, having looked up one header.
const char* switch_protocol_if_asked(request_rec* r);

}  // namespace lpweb::httpd
