// mod_lpicing: serves versioned static-asset bundles ("icing") from a store.
// This file is the module record, the hook registration and the directive
// table; config, watcher, serve, status and counters each have their file
// (mod_lpicing_*.cc), and every decision is the core's (core/).
#include "mod_lpicing.h"

#include <http_protocol.h>
#include <http_request.h>
#include <mod_status.h>

extern "C" {

static void register_hooks(apr_pool_t*) {
  ap_hook_check_config(lpicing_check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
  // The counters first: the watchers forked next write their gauges there.
  ap_hook_post_config(lpicing_setup_counters, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_config(lpicing_start_watcher, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_config(lpicing_setup_compressors, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_log_transaction(lpicing_count_request, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_child_init(lpicing_child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
  // The prefix belongs to the store: before mod_rewrite, mod_proxy and
  // mod_alias (which also run first), whatever the LoadModule order.
  static const char* const before[] = {"mod_rewrite.c", "mod_proxy.c", "mod_alias.c", nullptr};
  ap_hook_translate_name(lpicing_translate_name, nullptr, before, APR_HOOK_FIRST);
  ap_hook_map_to_storage(lpicing_map_to_storage, nullptr, nullptr, APR_HOOK_FIRST);
  ap_hook_fixups(lpicing_fixups, nullptr, nullptr, APR_HOOK_LAST);
  ap_hook_handler(lpicing_handler, nullptr, nullptr, APR_HOOK_FIRST);
  // After mod_lpedge (APR_HOOK_REALLY_FIRST): an edge host's icing URL is redirected.
  ap_hook_quick_handler(lpicing_quick_handler, nullptr, nullptr, APR_HOOK_FIRST);
  APR_OPTIONAL_HOOK(ap, status_hook, lpicing_status_hook, nullptr, nullptr, APR_HOOK_MIDDLE);
}

static const command_rec lpicing_cmds[] = {
    AP_INIT_TAKE1("LPIcingStore", LPWEB_CMD(lpicing_cmd_directory), nullptr, RSRC_CONF,
                  "DIR: the revision store (module inactive without it)"),
    AP_INIT_TAKE1("LPIcingPrefix", LPWEB_CMD(lpicing_cmd_prefix), nullptr, RSRC_CONF, "URL-PATH: URL prefix (default /+icing)"),
    AP_INIT_TAKE1("LPIcingCurrentMaxAge", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "SECONDS: max-age of unversioned URLs (default 300)"),
    AP_INIT_TAKE1("LPIcingIncoming", LPWEB_CMD(lpicing_cmd_directory), nullptr, RSRC_CONF,
                  "DIR: drop directory; a bundle renamed into it is deployed, then the file removed (needs LPIcingUser)"),
    AP_INIT_TAKE1("LPIcingTrustedKey", LPWEB_CMD(lpicing_cmd_trusted_key), nullptr, RSRC_CONF,
                  "FILE: Ed25519 public key (PEM); only bundles signed with it are deployed from the drop directory"),
    AP_INIT_TAKE1("LPIcingKeep", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "N: revisions kept when the drop directory deploys (default 5)"),
    AP_INIT_TAKE1("LPIcingTool", LPWEB_CMD(lpicing_cmd_tool), nullptr, RSRC_CONF,
                  "PATH: the lpicing program the drop-directory watcher runs (default " LPICING_TOOL_DEFAULT ")"),
    AP_INIT_TAKE1("LPIcingComboMaxFiles", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "N: most files one combo URL may name (default 100)"),
    AP_INIT_TAKE1("LPIcingComboMaxBytes", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "SIZE: most bytes (before compression) one combo may add up to (default 1M)"),
    AP_INIT_TAKE1("LPIcingComboCacheBytes", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "SIZE: per-child cache of compressed combos, 0 for none (default 8M)"),
    AP_INIT_TAKE12("LPIcingUser", LPWEB_CMD(lpicing_cmd_user), nullptr, RSRC_CONF,
                   "USER [GROUP]: the dedicated user (never root) the drop-directory watcher and every ingest run "
                   "as, who owns the store; required with LPIcingIncoming"),
    AP_INIT_TAKE1("LPIcingIngestTimeout", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "SECONDS: an ingest running longer is killed, its bundle left in place (default 600)"),
    AP_INIT_TAKE1("LPIcingMaxEntries", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "N: most entries a dropped bundle may hold (default: the tool's, 100000)"),
    AP_INIT_TAKE1("LPIcingMaxBytes", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "SIZE: most uncompressed bytes a dropped bundle may hold (default: the tool's, 2G)"),
    AP_INIT_TAKE1("LPIcingMaxRatio", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "N: most uncompressed bytes per byte read of a dropped bundle (default: the tool's, 100)"),
    AP_INIT_TAKE1("LPIcingComboCompressors", LPWEB_CMD(lpicing_cmd_number), nullptr, RSRC_CONF,
                  "N: combo compressions running at once per server, 0 to 256; a miss beyond it is served "
                  "uncompressed (default 1)"),
    AP_INIT_FLAG("LPIcingQuickHandler", LPWEB_CMD(lpicing_cmd_quick), nullptr, RSRC_CONF,
                 "On|Off: answer icing URLs before <Location> access checks (default On)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr}};

// Per server only: no per-directory config (the two nullptrs).
module AP_MODULE_DECLARE_DATA lpicing_module = {STANDARD20_MODULE_STUFF,   nullptr,       nullptr,
                                               lpicing_create_server_conf, lpicing_merge_server_conf, lpicing_cmds,
                                               register_hooks,             AP_MODULE_FLAG_NONE};

}  // extern "C"
