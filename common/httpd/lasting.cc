// Lasting memory: pool user data of httpd's process pool, which only a full
// stop destroys. Nothing here registers a cleanup of its own: the module's
// code is unloaded at every restart, so a cleanup pointing into it would
// dangle by the time the process pool goes (APR's own shm cleanup is safe).
#include "lasting.h"

#include <cstring>
#include <string>

#include <apr_shm.h>
#include <apr_strings.h>

namespace lpweb::httpd {

void* lasting_shared_memory(server_rec* s, const char* name, apr_size_t bytes, apr_size_t* size, apr_status_t* rv) {
  apr_pool_t* pool = s->process->pool;
  const char* key = apr_pstrcat(pool, "lpweb-shm:", name, nullptr);
  void* found = nullptr;
  apr_pool_userdata_get(&found, key, pool);
  auto* shm = static_cast<apr_shm_t*>(found);
  if (!shm) {
    *rv = apr_shm_create(&shm, bytes, nullptr, pool);
    if (*rv != APR_SUCCESS) return nullptr;
    std::memset(apr_shm_baseaddr_get(shm), 0, apr_shm_size_get(shm));
    apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, pool);
  }
  *rv = APR_SUCCESS;
  *size = apr_shm_size_get(shm);
  return apr_shm_baseaddr_get(shm);
}

void* lasting_private_memory(server_rec* s, const char* name, apr_size_t bytes, bool* fresh) {
  apr_pool_t* pool = s->process->pool;
  const char* key = apr_pstrcat(pool, "lpweb-private:", name, nullptr);
  void* memory = nullptr;
  apr_pool_userdata_get(&memory, key, pool);
  *fresh = memory == nullptr;
  if (!memory) {
    memory = apr_pcalloc(pool, bytes);
    apr_pool_userdata_set(memory, key, apr_pool_cleanup_null, pool);
  }
  return memory;
}

lpweb::Result<lpweb::CounterTable> lasting_counter_table(server_rec* s, const char* name,
                                                         const lpweb::CounterShape& shape) {
  apr_size_t size = 0;
  apr_status_t rv = APR_SUCCESS;
  void* counters = lasting_shared_memory(s, name, lpweb::CounterTable::counter_bytes(shape), &size, &rv);
  if (!counters) {
    lpweb::Error e = lpweb::system_error(std::string("cannot create shared memory ") + name);
    e.code = rv;
    return e;
  }
  bool fresh = false;
  void* registry = lasting_private_memory(s, name, lpweb::CounterTable::registry_bytes(shape), &fresh);
  if (fresh) lpweb::CounterTable::init_registry(registry, shape);
  return lpweb::CounterTable(registry, counters, size);
}

}  // namespace lpweb::httpd
