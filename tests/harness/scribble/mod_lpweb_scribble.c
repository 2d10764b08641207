/* A test-only httpd module that plays a compromised child: `SetHandler
 * lpweb-scribble` overwrites every shared-memory segment the lpweb modules
 * made (found by their documented pool keys, "lpweb-shm:NAME") with 0xFF
 * bytes (?ff) or pseudo-random ones (?random=SEED), through the child's own
 * read-write mapping, as an attacker with code execution in a child could.
 * "&keep=N" leaves the first N bytes alone: an attacker who knows a layout
 * keeps its magic number so the garbage still looks like a valid table.
 * ?hold=PID fills only mod_lpicing's combo compressor slots, each with PID
 * taken now (core/compressor_slots.h: pid in the low 32 bits, the
 * CLOCK_MONOTONIC second in the high 32), so every slot looks busy while PID
 * lives; ?hold=0 frees them all.
 * Never built into anything but the tests. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <httpd.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <http_config.h>
#include <http_protocol.h>

static const char* const segment_keys[] = {
    "lpweb-shm:lpedge-counters", "lpweb-shm:lpicing-counters", "lpweb-shm:lpicing-drop-gauges",
    "lpweb-shm:lpicing-compressors", NULL};

static const char compressor_key[] = "lpweb-shm:lpicing-compressors";

static int hold_compressors(request_rec* r, const char* pid_arg) {
  void* shm = NULL;
  apr_pool_userdata_get(&shm, compressor_key, r->server->process->pool);
  if (!shm) return HTTP_NOT_FOUND;
  uint64_t pid = (uint32_t)apr_strtoi64(pid_arg, NULL, 10);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t word = pid ? ((uint64_t)(uint32_t)now.tv_sec << 32) | pid : 0;
  uint64_t* slots = apr_shm_baseaddr_get((apr_shm_t*)shm);
  apr_size_t n = apr_shm_size_get((apr_shm_t*)shm) / sizeof(uint64_t);
  for (apr_size_t i = 0; i < n; ++i) __atomic_store_n(&slots[i], word, __ATOMIC_RELEASE);
  ap_set_content_type(r, "text/plain");
  ap_rprintf(r, "%s %" APR_SIZE_T_FMT " slots\n", compressor_key, n);
  return OK;
}

static int scribble_handler(request_rec* r) {
  if (!r->handler || strcmp(r->handler, "lpweb-scribble") != 0) return DECLINED;
  const char* args = r->args ? r->args : "";
  if (strncmp(args, "hold=", 5) == 0) return hold_compressors(r, args + 5);
  unsigned long long state = 0;
  int random = strncmp(args, "random=", 7) == 0;
  const char* keep_arg = strstr(args, "keep=");
  apr_size_t keep = keep_arg ? (apr_size_t)apr_strtoi64(keep_arg + 5, NULL, 10) : 0;
  if (random) state = apr_strtoi64(args + 7, NULL, 10) * 6364136223846793005ULL + 1442695040888963407ULL;
  ap_set_content_type(r, "text/plain");
  for (const char* const* key = segment_keys; *key; ++key) {
    void* shm = NULL;
    apr_pool_userdata_get(&shm, *key, r->server->process->pool);
    if (!shm) continue;
    unsigned char* base = apr_shm_baseaddr_get((apr_shm_t*)shm);
    apr_size_t size = apr_shm_size_get((apr_shm_t*)shm);
    if (keep > size) keep = size;
    if (!random) {
      memset(base + keep, 0xff, size - keep);
    } else {
      for (apr_size_t i = keep; i < size; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        base[i] = (unsigned char)(state >> 56);
      }
    }
    ap_rprintf(r, "%s %" APR_SIZE_T_FMT "\n", *key, size);
  }
  return OK;
}

static void register_hooks(apr_pool_t* p) {
  (void)p;
  ap_hook_handler(scribble_handler, NULL, NULL, APR_HOOK_FIRST);
}

module AP_MODULE_DECLARE_DATA lpweb_scribble_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks, AP_MODULE_FLAG_NONE};
