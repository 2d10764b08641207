// Memory that lasts as long as httpd does, graceful restarts included: made
// at the first post_config in the process pool, found again at every later
// one. For counters that must survive a reload (and the registries that let
// the parent use them without reading what children can write).
#pragma once

#include "counter_table.h"
#include "result.h"

#include <httpd.h>

namespace lpweb::httpd {

// Anonymous shared memory of at least `bytes`, inherited by every child, kept
// under the pool key "lpweb-shm:NAME" (an apr_shm_t*; the tests' scribble
// module finds it there). *size gets its real size. nullptr and *rv on failure.
void* lasting_shared_memory(server_rec* s, const char* name, apr_size_t bytes, apr_size_t* size, apr_status_t* rv);

// Private memory of the parent (children get a copy at fork), zeroed when
// made, under "lpweb-private:NAME". *fresh tells whether it was just made.
void* lasting_private_memory(server_rec* s, const char* name, apr_size_t bytes, bool* fresh);

// A counter table of `shape` whose registry and counters last: NAME names the
// layout, so a module whose layout changes must change the name too. The
// error (code: APR's status) when the shared memory cannot be made.
lpweb::Result<lpweb::CounterTable> lasting_counter_table(server_rec* s, const char* name,
                                                         const lpweb::CounterShape& shape);

}  // namespace lpweb::httpd
