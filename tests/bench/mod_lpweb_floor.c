/* The benchmark's floor: the least work httpd allows for a quick-handler
 * answer, to measure mod_lpedge against. Built by tests/bench/bench.sh with
 * apxs into its work directory; never installed or packaged.
 *   LPWebFloor HOST STATUS [LOCATION-PREFIX]
 * Repeatable. A request for HOST (exact, case-insensitive) gets STATUS; with a prefix,
 * Location is PREFIX followed by the raw request target. No body. */
#include "httpd.h"
#include "http_config.h"
#include "http_request.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA lpweb_floor_module;

typedef struct {
    const char *host;
    const char *location_prefix;
    int status;
} floor_entry;

typedef struct {
    apr_array_header_t *entries;
} floor_conf;

static void *create_conf(apr_pool_t *p, server_rec *s)
{
    floor_conf *c = apr_pcalloc(p, sizeof(floor_conf));
    (void)s;
    c->entries = apr_array_make(p, 2, sizeof(floor_entry));
    return c;
}

/* A virtual host without LPWebFloor of its own has the main server's. */
static void *merge_conf(apr_pool_t *p, void *base, void *over)
{
    (void)p;
    return ((floor_conf *)over)->entries->nelts ? over : base;
}

static const char *cmd_floor(cmd_parms *cmd, void *dummy, int argc, char *const argv[])
{
    floor_conf *c = ap_get_module_config(cmd->server->module_config, &lpweb_floor_module);
    floor_entry *e;
    (void)dummy;
    if (argc < 2 || argc > 3) return "LPWebFloor HOST STATUS [LOCATION-PREFIX]";
    e = apr_array_push(c->entries);
    e->host = argv[0];
    e->status = atoi(argv[1]);
    e->location_prefix = argc == 3 ? argv[2] : NULL;
    return NULL;
}

static int quick_handler(request_rec *r, int lookup)
{
    floor_conf *c = ap_get_module_config(r->server->module_config, &lpweb_floor_module);
    const floor_entry *e = (const floor_entry *)c->entries->elts;
    int i;
    if (lookup || !r->hostname) return DECLINED;
    for (i = 0; i < c->entries->nelts; ++i, ++e) {
        if (strcasecmp(r->hostname, e->host)) continue;
        r->status = e->status;
        if (e->location_prefix)
            apr_table_setn(r->headers_out, "Location",
                           apr_pstrcat(r->pool, e->location_prefix, r->unparsed_uri, NULL));
        return OK;
    }
    return DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    /* Where mod_lpedge is loaded too, after it: an edge redirect measured
     * there must not pay for this module's "not mine". */
    static const char *const after[] = {"mod_lpedge.cc", NULL};
    (void)p;
    ap_hook_quick_handler(quick_handler, after, NULL, APR_HOOK_REALLY_FIRST);
}

static const command_rec floor_cmds[] = {
    AP_INIT_TAKE_ARGV("LPWebFloor", cmd_floor, NULL, RSRC_CONF, "HOST STATUS [LOCATION-PREFIX]"),
    {NULL}
};

module AP_MODULE_DECLARE_DATA lpweb_floor_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, create_conf, merge_conf, floor_cmds, register_hooks
};
