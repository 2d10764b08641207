// mod_lpicing's configuration: the server config, its merge (a virtual host
// inherits every setting it does not set), the directive handlers (a bad
// value fails `apachectl -t` naming the directive) and the checks that need
// the whole configuration.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "crypto.h"
#include "ingest.h"
#include "mod_lpicing.h"

#include <apr_strings.h>
#include <unixd.h>

using namespace lpicing_httpd;

namespace {

const char* directive_error(cmd_parms* cmd, const char* arg, const char* why) {
  return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg, "' ", why, nullptr);
}

// How an operator finds a server in the configuration.
const char* context_name(apr_pool_t* p, const server_rec* v) {
  if (!v->is_virtual) return "the main server";
  return apr_psprintf(p, "virtual host %s (%s:%d)", v->server_hostname ? v->server_hostname : "(no ServerName)",
                      v->defn_name ? v->defn_name : "?", v->defn_line_number);
}

// Resolves LPIcingUser into c->uid and c->gid; null, or the operator's message.
const char* resolve_deploy_user(apr_pool_t* p, ServerConf* c) {
  if (!c->user)
    return apr_psprintf(p,
                        "LPI0011: LPIcingIncoming %s needs LPIcingUser USER [GROUP]: the dedicated user the "
                        "watcher and every ingest run as, who owns the store (never root)",
                        c->incoming);
  const passwd* pw = getpwnam(c->user);
  if (!pw) return apr_psprintf(p, "LPI0012: LPIcingUser %s: no such user", c->user);
  c->uid = static_cast<long>(pw->pw_uid);
  c->gid = static_cast<long>(pw->pw_gid);
  if (c->group) {
    const group* gr = getgrnam(c->group);
    if (!gr) return apr_psprintf(p, "LPI0014: LPIcingUser %s %s: no such group", c->user, c->group);
    c->gid = static_cast<long>(gr->gr_gid);
  }
  if (c->uid == 0 || c->gid == 0)
    return apr_psprintf(p,
                        "LPI0013: LPIcingUser %s%s%s is root: the drop directory's deploy path must run as a "
                        "dedicated unprivileged user",
                        c->user, c->group ? " " : "", c->group ? c->group : "");
  if (geteuid() != 0 && c->uid != static_cast<long>(geteuid()))
    return apr_psprintf(p,
                        "LPI0015: LPIcingUser %s: httpd runs as uid %ld, not as root, so its watcher cannot become "
                        "another user; name the user httpd runs as",
                        c->user, static_cast<long>(geteuid()));
  return nullptr;
}

}  // namespace

extern "C" {

void* lpicing_create_server_conf(apr_pool_t* pool, server_rec*) {
  auto* c = static_cast<ServerConf*>(apr_pcalloc(pool, sizeof(ServerConf)));
  static_cast<lpicing::Settings&>(*c) = lpicing::unset_settings();
  c->uid = c->gid = -1;
  return c;
}

void* lpicing_merge_server_conf(apr_pool_t* pool, void* base, void* over) {
  auto* c = static_cast<ServerConf*>(apr_pcalloc(pool, sizeof(ServerConf)));
  static_cast<lpicing::Settings&>(*c) =
      lpicing::merge_settings(*static_cast<ServerConf*>(base), *static_cast<ServerConf*>(over));
  c->uid = c->gid = -1;
  return c;
}

// LPIcingStore and LPIcingIncoming: a directory, relative to ServerRoot.
const char* lpicing_cmd_directory(cmd_parms* cmd, void*, const char* arg) {
  const char* dir = ap_server_root_relative(cmd->pool, arg);
  if (!dir || !*arg) return directive_error(cmd, arg, "is not a valid directory path");
  ServerConf* c = conf_of(cmd->server);
  (std::strcmp(cmd->cmd->name, "LPIcingStore") == 0 ? c->store : c->incoming) = dir;
  return nullptr;
}

const char* lpicing_cmd_prefix(cmd_parms* cmd, void*, const char* arg) {
  std::string p(arg);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.size() < 2 || p[0] != '/') return directive_error(cmd, arg, "must be a URL path like /+icing");
  for (unsigned char ch : p)
    if (ch <= 0x20 || ch == 0x7f || ch == '?' || ch == '#' || ch == '%')
      return directive_error(cmd, arg, "must not contain spaces, control characters, '?', '#' or '%'");
  conf_of(cmd->server)->prefix = apr_pstrdup(cmd->pool, p.c_str());
  return nullptr;
}

const char* lpicing_cmd_trusted_key(cmd_parms* cmd, void*, const char* arg) {
  const char* file = ap_server_root_relative(cmd->pool, arg);
  if (!file) return directive_error(cmd, arg, "is not a valid file path");
  try {
    apr_file_t* f = nullptr;
    apr_finfo_t fi;
    if (apr_file_open(&f, file, APR_READ, 0, cmd->temp_pool) != APR_SUCCESS ||
        apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS || fi.size > 65536)
      return directive_error(cmd, file, "cannot be read (an Ed25519 public key in PEM is expected)");
    std::string pem(static_cast<std::size_t>(fi.size), '\0');
    apr_size_t n = pem.size();
    apr_file_read_full(f, pem.data(), n, &n);
    apr_file_close(f);
    pem.resize(n);
    if (lpweb::Status key = lpicing::ed25519_check_public_key(pem); !key)
      return directive_error(cmd, file, ("is not an Ed25519 public key in PEM: " + key.error().message).c_str());
    // Read once, here: the ingest gets these bytes, whatever the file holds later.
    conf_of(cmd->server)->trusted_key = file;
    conf_of(cmd->server)->trusted_key_pem = apr_pstrmemdup(cmd->pool, pem.data(), pem.size());
  } catch (const std::exception& e) {
    return directive_error(cmd, file, e.what());
  }
  return nullptr;
}

const char* lpicing_cmd_tool(cmd_parms* cmd, void*, const char* arg) {
  if (arg[0] != '/') return directive_error(cmd, arg, "must be the absolute path of the lpicing program");
  conf_of(cmd->server)->tool = apr_pstrdup(cmd->pool, arg);
  return nullptr;
}

const char* lpicing_cmd_number(cmd_parms* cmd, void*, const char* arg) {
  const char* kept = apr_pstrdup(cmd->pool, arg);  // LPIcingMaxRatio keeps its text
  lpweb::Status set = lpicing::set_numeric_directive(conf_of(cmd->server), cmd->cmd->name, kept);
  return set ? nullptr : directive_error(cmd, arg, set.error().message.c_str());
}

const char* lpicing_cmd_quick(cmd_parms* cmd, void*, int on) {
  conf_of(cmd->server)->quick = on ? 1 : 0;
  return nullptr;
}

const char* lpicing_cmd_user(cmd_parms* cmd, void*, const char* user, const char* group) {
  if (!*user || (group && !*group)) return directive_error(cmd, user, "needs a user name (and optionally a group)");
  conf_of(cmd->server)->user = apr_pstrdup(cmd->pool, user);
  conf_of(cmd->server)->group = group ? apr_pstrdup(cmd->pool, group) : nullptr;
  return nullptr;
}

// Fills in defaults and checks what directives alone cannot: runs before
// `apachectl -t` exits, so a reload never fails on what the test passed.
int lpicing_check_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
  for (server_rec* v = s; v; v = v->next) {
    ServerConf* c = conf_of(v);
    lpicing::apply_defaults(c, LPICING_TOOL_DEFAULT);
    c->current_cache_control = apr_pstrdup(pconf, lpicing::cache_control_current(c->current_max_age).c_str());
    struct stat st;
    if (c->store && (stat(c->store, &st) != 0 || !S_ISDIR(st.st_mode)))
      ap_log_error(APLOG_MARK, APLOG_WARNING, errno, v,
                   "LPI0007: LPIcingStore %s is not a directory yet: every icing URL is 404 until a first deploy",
                   c->store);
    if (!c->incoming) continue;
    if (!c->store) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "LPI0002: LPIcingIncoming %s is set but LPIcingStore is not",
                   c->incoming);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (stat(c->incoming, &st) != 0 || !S_ISDIR(st.st_mode)) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, errno, v, "LPI0008: LPIcingIncoming %s is not a directory", c->incoming);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (access(c->tool, X_OK) != 0) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, errno, v,
                   "LPI0003: LPIcingIncoming needs the lpicing program, not found at %s (set LPIcingTool)", c->tool);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (const char* problem = resolve_deploy_user(ptemp, c)) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "%s", problem);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (geteuid() == 0 && static_cast<long>(ap_unixd_config.user_id) == c->uid)
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                   "LPI0016: LPIcingUser %s is httpd's own User: httpd's children could then rewrite the store "
                   "and the drop directory's outcomes; give the deploy path a user of its own",
                   c->user);
    if (stat(c->store, &st) == 0 && static_cast<long>(st.st_uid) != c->uid) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                   "LPI0017: LPIcingStore %s is owned by uid %ld, but LPIcingUser %s (uid %ld) writes it: "
                   "chown -R %s: %s",
                   c->store, static_cast<long>(st.st_uid), c->user, c->uid, c->user, c->store);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (server_rec* u = s; u != v; u = u->next) {
      ServerConf* o = conf_of(u);
      if (!o->incoming || std::strcmp(o->incoming, c->incoming) != 0) continue;
      std::string what = lpicing::first_drop_difference(*o, *c);
      if (!what.empty()) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                     "LPI0009: drop directory %s is used by %s and %s with different %s: one drop directory has "
                     "one store, key, user and set of limits; give each its own drop directory or the same settings",
                     c->incoming, context_name(ptemp, u), context_name(ptemp, v), what.c_str());
        return HTTP_INTERNAL_SERVER_ERROR;
      }
    }
  }
  return OK;
}

}  // extern "C"
