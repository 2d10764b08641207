// mod_lpicing: the httpd adapter. Owns every httpd type: directives, server
// config create/merge, the per-child index cache, the hooks that serve
// /+icing/ URLs, the status handler, the drop-directory watcher and the
// module record. What to serve is decided by the core (core/serve.h).
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "combo.h"
#include "bodycache.h"
#include "crypto.h"
#include "metrics.h"
#include "serve.h"

// httpd.h first: the other httpd headers rely on its types.
#include <httpd.h>
#include <apr_optional.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_listen.h>
#include <ap_mpm.h>
#include <apr_thread_proc.h>

extern "C" {
extern __attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA lpicing_module;
APLOG_USE_MODULE(lpicing);
}

namespace {

constexpr const char kHandler[] = "lpicing";
constexpr const char kStatusHandler[] = "lpicing-status";
constexpr int kRescanMs = 1000;  // inotify wakes the watcher at once; this is the fallback
constexpr int kRestSeconds = 30;
constexpr int kUnset = -1;
constexpr const char kCounterKey[] = "lpicing-counters";
constexpr std::size_t kCounterSlots = 64;           // stores counted per httpd
constexpr const char kCountedNote[] = "lpicing";  // r->notes: a request for an icing URL

struct ServerConf {
  const char* store;                  // null: module inactive for this server
  const char* prefix;                 // without trailing slash
  int current_max_age;
  const char* current_cache_control;  // precomputed from current_max_age at merge
  const char* incoming;
  const char* trusted_key;
  int keep;
  const char* tool;
  lpicing::IndexCache* cache;         // one per child, set in child_init
  void* counters;                     // shared request counters, set in post_config
  int counter_slot;                   // this store's slot in them; -1: not counted
  int quick;                          // LPIcingQuickHandler: serve before auth and mapping
  lpicing::BodyCache* bodies;         // small bodies mapped once per child, set in child_init
  int combo_max_files;                // LPIcingComboMaxFiles
  apr_int64_t combo_max_bytes;        // LPIcingComboMaxBytes
  apr_int64_t combo_cache_bytes;      // LPIcingComboCacheBytes; 0: no cache
  lpicing::ComboCache* combo_cache;   // one per child, set in child_init; null: none
};

// One drop directory to watch, gathered from every server in post_config.
struct IngestJob {
  const char* incoming;
  const char* store;
  const char* trusted_key;
  const char* tool;
  int keep;
};

// The drop-directory watcher: a process forked from httpd's parent, like
// mod_cgid's daemon, so request-serving children never write to the store.
struct Watcher {
  server_rec* server;
  apr_array_header_t* jobs;  // of IngestJob
  apr_pool_t* pool;
  apr_proc_t proc;           // pid -1 once the MPM has reaped it
  pid_t parent;              // httpd's parent, taken before the fork
};

// What translate_name resolved, kept for the handler: one revision per request.
struct RequestState {
  RequestState() = default;
  explicit RequestState(lpicing::ResolvedFile f) : file(std::move(f)) {}
  lpicing::ResolvedFile file;
  bool is_combo = false;  // PREFIX/+combo/...: `combo` instead of `file`
  lpicing::ResolvedCombo combo;
  std::shared_ptr<const std::string> combo_body;  // held until the request pool goes
};

ServerConf* conf_of(server_rec* s) {
  return static_cast<ServerConf*>(ap_get_module_config(s->module_config, &lpicing_module));
}

RequestState* state_of(request_rec* r) {
  return static_cast<RequestState*>(ap_get_module_config(r->request_config, &lpicing_module));
}

template <typename T>
apr_status_t delete_object(void* object) {
  delete static_cast<T*>(object);
  return APR_SUCCESS;
}

// The one place exceptions stop for request hooks.
template <typename F>
int guarded(request_rec* r, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LPI0100: internal error: %s", e.what());
  } catch (...) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LPI0100: internal error");
  }
  return HTTP_INTERNAL_SERVER_ERROR;
}

const char* directive_error(cmd_parms* cmd, const char* arg, const char* why) {
  return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg, "' ", why, nullptr);
}

bool parse_int(const char* arg, long min, long max, int* out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(arg, &end, 10);
  if (errno || end == arg || *end || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

bool is_candidate_bundle(const char* name) {
  std::size_t n = std::strlen(name);
  if (n == 0 || name[0] == '.') return false;
  auto ends_with = [&](const char* suffix) {
    std::size_t m = std::strlen(suffix);
    return n >= m && std::strcmp(name + n - m, suffix) == 0;
  };
  return !ends_with(".part") && !ends_with(".tmp");
}

// Cheap enough for every tick: one readdir of the drop directory.
bool has_candidate(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return false;
  bool found = false;
  while (dirent* e = readdir(d)) {
    if (!is_candidate_bundle(e->d_name)) continue;
    struct stat st;
    std::string path = std::string(dir) + "/" + e->d_name;
    if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {  // as the tool: no symlinks
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

// Runs `lpicing ingest` for one drop directory and copies what it says into
// the error log, at error level when a bundle was refused or the store failed.
// Returns the tool's exit code (127 when it could not run).
int run_ingest(const IngestJob& job, server_rec* s) {
  std::string keep = std::to_string(job.keep);
  std::vector<const char*> argv = {job.tool, "ingest", "--incoming", job.incoming, "--store", job.store,
                                   "--keep", keep.c_str()};
  if (job.trusted_key) {
    argv.push_back("--trusted-key");
    argv.push_back(job.trusted_key);
  }
  argv.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "LPI0301: cannot create a pipe for lpicing ingest");
    return 127;
  }
  pid_t tool = fork();
  if (tool == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    closefrom(3);
    execv(job.tool, const_cast<char* const*>(argv.data()));
    static const char msg[] = "LPI0305: cannot execute the lpicing tool\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  close(out[1]);
  if (tool < 0) {
    ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "LPI0302: cannot fork to run %s", job.tool);
    close(out[0]);
    return 127;
  }
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(tool, &status, 0) < 0 && errno == EINTR) {
  }
  bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;

  std::size_t start = 0;
  while (start < output.size()) {
    std::size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    bool good_news = line.rfind("LPI0100", 0) == 0 || line.rfind("LPI0103", 0) == 0;
    ap_log_error(APLOG_MARK, failed && !good_news ? APLOG_ERR : APLOG_NOTICE, 0, s,
                 "LPI0300: drop directory %s: %s", job.incoming, line.c_str());
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

[[noreturn]] void watcher_main(Watcher* w) {
  // The parent's handlers only set flags for its own loop: take the defaults back.
  for (int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGWINCH, SIGINT, SIGCHLD}) signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != w->parent) _exit(0);  // httpd died before prctl took effect
  ap_close_listeners();

  auto* jobs = reinterpret_cast<IngestJob*>(w->jobs->elts);
  int notify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  for (int i = 0; i < w->jobs->nelts; ++i) {
    if (notify >= 0 && inotify_add_watch(notify, jobs[i].incoming, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
      ap_log_error(APLOG_MARK, APLOG_WARNING, errno, w->server,
                   "LPI0306: cannot watch drop directory %s; looking every %d ms instead", jobs[i].incoming,
                   kRescanMs);
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, w->server, "LPI0307: drop-directory watcher started (pid %ld)",
               static_cast<long>(getpid()));
  // After a store error (disk full, permissions) or a tool that cannot run,
  // a drop directory rests for a while instead of failing every second.
  std::vector<apr_time_t> rest_until(static_cast<std::size_t>(w->jobs->nelts), 0);
  while (getppid() == w->parent) {
    try {
      for (int i = 0; i < w->jobs->nelts; ++i) {
        if (apr_time_now() < rest_until[i] || !has_candidate(jobs[i].incoming)) continue;
        int code = run_ingest(jobs[i], w->server);
        if (code != 0 && code != 2) {
          rest_until[i] = apr_time_now() + apr_time_from_sec(kRestSeconds);
          ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server,
                       "LPI0309: drop directory %s: lpicing ingest failed (exit %d); next try in %d s",
                       jobs[i].incoming, code, kRestSeconds);
        }
      }
    } catch (const std::exception& e) {
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server, "LPI0304: drop-directory watcher: %s", e.what());
    }
    pollfd p{notify, POLLIN, 0};
    if (poll(&p, notify >= 0 ? 1 : 0, kRescanMs) > 0) {
      char events[4096];
      while (read(notify, events, sizeof events) > 0) {
      }
    }
  }
  _exit(0);
}

apr_status_t start_watcher(Watcher* w);

// httpd tells us about the watcher: restart it if it died, stop it when the
// configuration that started it goes away (restart or stop).
void watcher_maintenance(int reason, void* data, apr_wait_t) {
  auto* w = static_cast<Watcher*>(data);
  switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST: {
      w->proc.pid = -1;  // reaped: never signal that pid again
      apr_proc_other_child_unregister(w);
      int state = AP_MPMQ_STOPPING;
      ap_mpm_query(AP_MPMQ_MPM_STATE, &state);
      if (state != AP_MPMQ_STOPPING) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server, "LPI0308: drop-directory watcher died; starting it again");
        start_watcher(w);
      }
      break;
    }
    case APR_OC_REASON_RESTART:
      apr_proc_other_child_unregister(w);  // calls back with UNREGISTER, which stops it
      break;
    case APR_OC_REASON_UNREGISTER:
      if (w->proc.pid > 0) {
        kill(w->proc.pid, SIGTERM);
        // It dies at once unless stuck in I/O; never hold up a restart for long.
        for (int i = 0; i < 50 && waitpid(w->proc.pid, nullptr, WNOHANG) == 0; ++i) apr_sleep(apr_time_from_msec(20));
        if (waitpid(w->proc.pid, nullptr, WNOHANG) == 0) {
          kill(w->proc.pid, SIGKILL);
          waitpid(w->proc.pid, nullptr, 0);
        }
        w->proc.pid = -1;
      }
      break;
    default:
      break;
  }
}

apr_status_t start_watcher(Watcher* w) {
  w->parent = getpid();
  apr_status_t rv = apr_proc_fork(&w->proc, w->pool);
  if (rv == APR_INCHILD) watcher_main(w);
  if (rv != APR_INPARENT) return rv;
  apr_proc_other_child_register(&w->proc, watcher_maintenance, w, nullptr, w->pool);
  return APR_SUCCESS;
}

// The path of the request target exactly as received, without the query
// (origin-form, or the path of an absolute-form target); null if none.
char* raw_path(request_rec* r) {
  const char* t = r->unparsed_uri;
  if (!t) return nullptr;
  if (*t != '/') {
    const char* scheme_end = std::strstr(t, "://");
    if (!scheme_end) return nullptr;
    t = std::strchr(scheme_end + 3, '/');
    if (!t) return nullptr;
  }
  const char* q = std::strchr(t, '?');
  return apr_pstrmemdup(r->pool, t, q ? static_cast<apr_size_t>(q - t) : std::strlen(t));
}

}  // namespace

extern "C" {

static void* create_server_conf(apr_pool_t* pool, server_rec*) {
  auto* c = static_cast<ServerConf*>(apr_pcalloc(pool, sizeof(ServerConf)));
  c->current_max_age = kUnset;
  c->keep = kUnset;
  c->quick = kUnset;
  c->combo_max_files = kUnset;
  c->combo_max_bytes = kUnset;
  c->combo_cache_bytes = kUnset;
  return c;
}

static void* merge_server_conf(apr_pool_t* pool, void* base_v, void* over_v) {
  auto* base = static_cast<ServerConf*>(base_v);
  auto* over = static_cast<ServerConf*>(over_v);
  auto* c = static_cast<ServerConf*>(apr_pcalloc(pool, sizeof(ServerConf)));
  c->store = over->store ? over->store : base->store;
  c->prefix = over->prefix ? over->prefix : base->prefix;
  c->current_max_age = over->current_max_age != kUnset ? over->current_max_age : base->current_max_age;
  c->incoming = over->incoming ? over->incoming : base->incoming;
  c->trusted_key = over->trusted_key ? over->trusted_key : base->trusted_key;
  c->keep = over->keep != kUnset ? over->keep : base->keep;
  c->tool = over->tool ? over->tool : base->tool;
  c->quick = over->quick != kUnset ? over->quick : base->quick;
  c->combo_max_files = over->combo_max_files != kUnset ? over->combo_max_files : base->combo_max_files;
  c->combo_max_bytes = over->combo_max_bytes != kUnset ? over->combo_max_bytes : base->combo_max_bytes;
  c->combo_cache_bytes = over->combo_cache_bytes != kUnset ? over->combo_cache_bytes : base->combo_cache_bytes;
  return c;
}

static const char* cmd_store(cmd_parms* cmd, void*, const char* arg) {
  const char* dir = ap_server_root_relative(cmd->pool, arg);
  if (!dir || !*arg) return directive_error(cmd, arg, "is not a valid directory path");
  conf_of(cmd->server)->store = dir;
  return nullptr;
}

static const char* cmd_prefix(cmd_parms* cmd, void*, const char* arg) {
  std::string p(arg);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.size() < 2 || p[0] != '/') return directive_error(cmd, arg, "must be a URL path like /+icing");
  for (unsigned char ch : p)
    if (ch <= 0x20 || ch == 0x7f || ch == '?' || ch == '#' || ch == '%')
      return directive_error(cmd, arg, "must not contain spaces, control characters, '?', '#' or '%'");
  conf_of(cmd->server)->prefix = apr_pstrdup(cmd->pool, p.c_str());
  return nullptr;
}

static const char* cmd_max_age(cmd_parms* cmd, void*, const char* arg) {
  if (!parse_int(arg, 0, 31536000, &conf_of(cmd->server)->current_max_age))
    return directive_error(cmd, arg, "is not a number of seconds from 0 to 31536000");
  return nullptr;
}

static const char* cmd_incoming(cmd_parms* cmd, void*, const char* arg) {
  const char* dir = ap_server_root_relative(cmd->pool, arg);
  if (!dir || !*arg) return directive_error(cmd, arg, "is not a valid directory path");
  conf_of(cmd->server)->incoming = dir;
  return nullptr;
}

static const char* cmd_trusted_key(cmd_parms* cmd, void*, const char* arg) {
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
    std::string why;
    if (!lpicing::ed25519_check_public_key(pem, &why))
      return directive_error(cmd, file, ("is not an Ed25519 public key in PEM: " + why).c_str());
  } catch (const std::exception& e) {
    return directive_error(cmd, file, e.what());
  }
  conf_of(cmd->server)->trusted_key = file;
  return nullptr;
}

static const char* cmd_keep(cmd_parms* cmd, void*, const char* arg) {
  if (!parse_int(arg, 1, 100000, &conf_of(cmd->server)->keep))
    return directive_error(cmd, arg, "is not a number of revisions of at least 1");
  return nullptr;
}

static const char* cmd_tool(cmd_parms* cmd, void*, const char* arg) {
  if (arg[0] != '/') return directive_error(cmd, arg, "must be the absolute path of the lpicing program");
  conf_of(cmd->server)->tool = apr_pstrdup(cmd->pool, arg);
  return nullptr;
}

static const char* cmd_combo_max_files(cmd_parms* cmd, void*, const char* arg) {
  if (!parse_int(arg, 1, 10000, &conf_of(cmd->server)->combo_max_files))
    return directive_error(cmd, arg, "is not a number of files from 1 to 10000");
  return nullptr;
}

static const char* cmd_combo_max_bytes(cmd_parms* cmd, void*, const char* arg) {
  std::uint64_t v = 0;
  if (!lpicing::parse_byte_size(arg, std::uint64_t{1} << 30, &v) || v == 0)
    return directive_error(cmd, arg, "is not a size from 1 to 1G (bytes, or with K, M or G)");
  conf_of(cmd->server)->combo_max_bytes = static_cast<apr_int64_t>(v);
  return nullptr;
}

static const char* cmd_combo_cache_bytes(cmd_parms* cmd, void*, const char* arg) {
  std::uint64_t v = 0;
  if (!lpicing::parse_byte_size(arg, std::uint64_t{1} << 30, &v))
    return directive_error(cmd, arg, "is not a size from 0 (no cache) to 1G (bytes, or with K, M or G)");
  conf_of(cmd->server)->combo_cache_bytes = static_cast<apr_int64_t>(v);
  return nullptr;
}

static const char* cmd_quick(cmd_parms* cmd, void*, int on) {
  conf_of(cmd->server)->quick = on ? 1 : 0;
  return nullptr;
}

// Fills in defaults and checks what directives alone cannot: runs before
// `apachectl -t` exits, so a reload never fails on what the test passed.
static int check_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
  for (server_rec* v = s; v; v = v->next) {
    ServerConf* c = conf_of(v);
    if (!c->prefix) c->prefix = "/+icing";
    if (c->current_max_age == kUnset) c->current_max_age = 300;
    if (c->keep == kUnset) c->keep = 5;
    if (!c->tool) c->tool = LPICING_TOOL_DEFAULT;
    if (c->quick == kUnset) c->quick = 1;
    if (c->combo_max_files == kUnset) c->combo_max_files = static_cast<int>(lpicing::kComboDefaultMaxFiles);
    if (c->combo_max_bytes == kUnset) c->combo_max_bytes = static_cast<apr_int64_t>(lpicing::kComboDefaultMaxBytes);
    if (c->combo_cache_bytes == kUnset)
      c->combo_cache_bytes = static_cast<apr_int64_t>(lpicing::kComboDefaultCacheBytes);
    c->current_cache_control = apr_psprintf(pconf, "public, max-age=%d", c->current_max_age);
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
    for (server_rec* u = s; u != v; u = u->next) {
      ServerConf* o = conf_of(u);
      if (o->incoming && std::strcmp(o->incoming, c->incoming) == 0 && std::strcmp(o->store, c->store) != 0) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                     "LPI0009: drop directory %s feeds two stores (%s and %s); give each store its own",
                     c->incoming, o->store, c->store);
        return HTTP_INTERNAL_SERVER_ERROR;
      }
    }
  }
  return OK;
}

// Starts the drop-directory watcher, one for all servers' drop directories.
static int post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
  if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
  auto* jobs = apr_array_make(pconf, 2, sizeof(IngestJob));
  for (server_rec* v = s; v; v = v->next) {
    ServerConf* c = conf_of(v);
    if (!c->incoming) continue;
    bool seen = false;
    auto* existing = reinterpret_cast<IngestJob*>(jobs->elts);
    for (int i = 0; i < jobs->nelts; ++i) seen = seen || std::strcmp(existing[i].incoming, c->incoming) == 0;
    if (!seen) *static_cast<IngestJob*>(apr_array_push(jobs)) = IngestJob{c->incoming, c->store, c->trusted_key, c->tool, c->keep};
  }
  if (jobs->nelts == 0) return OK;
  auto* w = static_cast<Watcher*>(apr_pcalloc(pconf, sizeof(Watcher)));
  w->server = s;
  w->jobs = jobs;
  w->pool = pconf;
  apr_status_t rv = start_watcher(w);
  if (rv != APR_SUCCESS) {
    ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "LPI0005: cannot start the drop-directory watcher");
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  return OK;
}

// One index cache per child, shared by its threads and every virtual host.
static void child_init(apr_pool_t* pchild, server_rec* s) {
  lpicing::IndexCache* cache = nullptr;
  try {
    cache = new lpicing::IndexCache();
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "LPI0006: cannot create the index cache; icing is not served");
    return;
  }
  apr_pool_cleanup_register(pchild, cache, delete_object<lpicing::IndexCache>, apr_pool_cleanup_null);
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store) conf_of(v)->cache = cache;

  // Small bodies are mapped once and sent from memory: no open, fstat,
  // sendfile and close per request. Without it they are simply opened each time.
  lpicing::BodyCache* bodies = nullptr;
  try {
    bodies = new lpicing::BodyCache();
    apr_pool_cleanup_register(pchild, bodies, delete_object<lpicing::BodyCache>, apr_pool_cleanup_null);
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "LPI0010: cannot create the body cache; files are opened per request");
    bodies = nullptr;
  }
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store) conf_of(v)->bodies = bodies;

  // One combo cache too, as large as the largest LPIcingComboCacheBytes.
  apr_int64_t combo_bytes = 0;
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store && conf_of(v)->combo_cache_bytes > combo_bytes) combo_bytes = conf_of(v)->combo_cache_bytes;
  if (combo_bytes <= 0) return;
  lpicing::ComboCache* combo_cache = nullptr;
  try {
    combo_cache = new lpicing::ComboCache(static_cast<std::uint64_t>(combo_bytes));
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "LPI0606: cannot create the combo cache; combos are compressed per request");
    return;
  }
  apr_pool_cleanup_register(pchild, combo_cache, delete_object<lpicing::ComboCache>, apr_pool_cleanup_null);
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store && conf_of(v)->combo_cache_bytes > 0) conf_of(v)->combo_cache = combo_cache;
}

// PREFIX/+combo/...: several files of one revision in one response.
// `path` is the decoded path after the prefix; the query is taken raw.
static int translate_combo(request_rec* r, ServerConf* c, const char* path) {
  const char* accept = apr_table_get(r->headers_in, "Accept-Encoding");
  lpicing::ComboLimits limits;
  limits.max_files = static_cast<std::size_t>(c->combo_max_files);
  limits.max_bytes = static_cast<std::uint64_t>(c->combo_max_bytes);
  auto* st = new RequestState{};
  apr_pool_cleanup_register(r->pool, st, delete_object<RequestState>, apr_pool_cleanup_null);
  st->is_combo = true;
  st->combo = lpicing::resolve_combo(*c->cache, c->store, path, r->args ? r->args : "", accept ? accept : "", limits);
  const lpicing::ResolvedCombo& combo = st->combo;
  switch (combo.status) {
    case lpicing::ComboStatus::found:
      break;
    case lpicing::ComboStatus::error:
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LPI0603: revision %s cannot be served: %s", combo.revision.c_str(),
                    combo.reason.c_str());
      apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
      return HTTP_INTERNAL_SERVER_ERROR;
    case lpicing::ComboStatus::not_found:
    case lpicing::ComboStatus::bad_request: {
      int status = combo.status == lpicing::ComboStatus::not_found ? HTTP_NOT_FOUND : HTTP_BAD_REQUEST;
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0601: combo %s: %s: %d", r->uri, combo.reason.c_str(), status);
      apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
      return status;
    }
  }
  ap_set_module_config(r->request_config, &lpicing_module, st);
  // mod_mime types the response by the first member's name; all share its extension.
  r->filename = apr_pstrmemdup(r->pool, combo.files.front().data(), combo.files.front().size());
  r->handler = kHandler;
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                "LPI0602: combo %s: %s revision %s, %" APR_SIZE_T_FMT " files, %" APR_UINT64_T_FMT " bytes, %s",
                r->uri, combo.kind == lpicing::PathKind::versioned ? "versioned" : "current", combo.revision.c_str(),
                static_cast<apr_size_t>(combo.members.size()), static_cast<apr_uint64_t>(combo.identity_size),
                combo.encoding == lpicing::Encoding::identity ? "identity"
                                                              : lpicing::content_encoding(combo.encoding).data());
  return OK;
}

// Claims PREFIX/ URLs after httpd decoded and normalised the path (so
// %2e%2e, %00 and %2F never get here), resolving the revision exactly once.
static int translate_name(request_rec* r) {
  ServerConf* c = conf_of(r->server);
  if (!c->store || !c->cache) return DECLINED;
  std::size_t n = std::strlen(c->prefix);
  if (std::strncmp(r->uri, c->prefix, n) != 0 || (r->uri[n] != '/' && r->uri[n] != '\0')) return DECLINED;
  if (!r->main) apr_table_setn(r->notes, kCountedNote, "1");
  return guarded(r, [&]() -> int {
    // One URL per file: the path as sent, decoded but not normalised, so
    // dot segments, "//" and the like never reach another file.
    // (httpd has already normalised r->parsed_uri.path, so go back to the request line.)
    char* path = raw_path(r);
    int bad = path ? ap_unescape_url(path) : HTTP_NOT_FOUND;
    if (bad == OK && (std::strncmp(path, c->prefix, n) != 0 || (path[n] != '/' && path[n] != '\0')))
      bad = HTTP_NOT_FOUND;
    if (bad != OK) {
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0401: %s: %s: %d", r->unparsed_uri,
                    bad == HTTP_BAD_REQUEST ? "bad %-escape in the path" : "outside the prefix once decoded", bad);
      apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
      return bad;
    }
    if (lpicing::is_combo_path(path + n)) return translate_combo(r, c, path + n);
    const char* accept = apr_table_get(r->headers_in, "Accept-Encoding");
    auto* st = new RequestState{lpicing::resolve_request(*c->cache, c->store, path + n, accept ? accept : "")};
    apr_pool_cleanup_register(r->pool, st, delete_object<RequestState>, apr_pool_cleanup_null);
    const lpicing::ResolvedFile& f = st->file;
    if (f.status == lpicing::ResolveStatus::error) {
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LPI0101: revision %s cannot be served: %s", f.revision.c_str(),
                    f.error.c_str());
      apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (f.status != lpicing::ResolveStatus::found) {
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0102: %s: %s%s: 404", r->uri,
                    f.kind == lpicing::PathKind::not_found ? "not a servable path (hidden, metadata or malformed)"
                    : f.revision.empty()                  ? "no current revision"
                    : !f.index                            ? "not in the store: revision "
                                                          : "no such file in revision ",
                    f.kind == lpicing::PathKind::not_found ? "" : f.revision.c_str());
      apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
      return HTTP_NOT_FOUND;
    }
    ap_set_module_config(r->request_config, &lpicing_module, st);
    // mod_mime types the response by this name: the asset's, never its variant's.
    std::size_t name_len = f.file.size() - (f.encoding == lpicing::Encoding::identity ? 0 : 3);
    r->filename = apr_pstrmemdup(r->pool, f.file.data(), name_len);
    r->handler = kHandler;
    const char* accepted = apr_table_get(r->headers_in, "Accept-Encoding");
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "LPI0103: %s: %s revision %s, file %s, %s variant (Accept-Encoding: %s), serving %s", r->uri,
                  f.kind == lpicing::PathKind::versioned ? "versioned" : "current", f.revision.c_str(),
                  f.entry->path.c_str(),
                  f.encoding == lpicing::Encoding::identity ? "identity" : lpicing::content_encoding(f.encoding).data(),
                  accepted ? accepted : "none", f.file.c_str());
    return OK;
  });
}

// Our files are in the store, not under a <Directory>: skip the directory walk.
static int map_to_storage(request_rec* r) { return state_of(r) ? OK : DECLINED; }

// An AddHandler matching an asset's extension must never run it.
static int fixups(request_rec* r) {
  if (state_of(r)) r->handler = kHandler;
  return DECLINED;
}

// Opens a store file for a file bucket (EnableSendfile as core's
// default_handler honours it) and checks the size its INDEX records. OK, or
// the status to answer: 404 when it was pruned since the lookup, 500 (logged)
// when it cannot be read or the store was changed by hand.
static int open_store_file(request_rec* r, const core_dir_config* core, const std::string& file, std::uint64_t size,
                    apr_file_t** fd) {
  apr_status_t rv = apr_file_open(fd, file.c_str(), APR_READ | APR_BINARY | AP_SENDFILE_ENABLED(core->enable_sendfile),
                                  0, r->pool);
  int status = OK;
  apr_finfo_t info;
  if (rv != APR_SUCCESS) {
    ap_log_rerror(APLOG_MARK, APR_STATUS_IS_ENOENT(rv) ? APLOG_DEBUG : APLOG_ERR, rv, r, "LPI0104: cannot open %s",
                  file.c_str());
    status = APR_STATUS_IS_ENOENT(rv) ? HTTP_NOT_FOUND : HTTP_INTERNAL_SERVER_ERROR;
  } else if (apr_file_info_get(&info, APR_FINFO_SIZE, *fd) != APR_SUCCESS ||
             info.size != static_cast<apr_off_t>(size)) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "LPI0105: %s does not have the size its INDEX records (%" APR_UINT64_T_FMT
                  " bytes): the store was changed by hand",
                  file.c_str(), static_cast<apr_uint64_t>(size));
    apr_file_close(*fd);
    status = HTTP_INTERNAL_SERVER_ERROR;
  }
  if (status != OK) apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
  return status;
}

// A file bucket, so the core can use sendfile; the byterange filter does Range.
static void append_file(request_rec* r, const core_dir_config* core, apr_bucket_brigade* bb, apr_file_t* fd,
                 std::uint64_t size) {
  apr_bucket* file = apr_brigade_insert_file(bb, fd, 0, static_cast<apr_off_t>(size), r->pool);
#if APR_HAS_MMAP
  if (core->enable_mmap == ENABLE_MMAP_OFF) apr_bucket_file_enable_mmap(file, 0);
#else
  (void)file;
  (void)core;
#endif
}

// The headers of an asset or a combo, then the request's conditions: OK to
// send the body, or the status (304, 412) to answer with.
static int set_headers_and_check(request_rec* r, const ServerConf* c, const lpicing::Sha256& digest, lpicing::PathKind kind,
                          bool vary, lpicing::Encoding encoding, std::int64_t mtime) {
  auto etag = lpicing::format_etag(digest);
  apr_table_setn(r->headers_out, "ETag", apr_pstrmemdup(r->pool, etag.data(), lpicing::kETagLength));
  apr_table_setn(r->headers_out, "Cache-Control",
                 kind == lpicing::PathKind::versioned ? lpicing::kCacheControlVersioned.data()
                                                      : c->current_cache_control);
  if (vary) apr_table_mergen(r->headers_out, "Vary", "Accept-Encoding");
  r->content_encoding = encoding == lpicing::Encoding::identity
                            ? nullptr
                            : apr_pstrdup(r->pool, lpicing::content_encoding(encoding).data());
  if (!r->content_type) ap_set_content_type(r, "application/octet-stream");
  ap_update_mtime(r, apr_time_from_sec(mtime));
  ap_set_last_modified(r);
  int status = ap_meets_conditions(r);
  if (status != OK) r->status = status;
  return status;
}

static int pass_body(request_rec* r, apr_bucket_brigade* bb) {
  APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
  return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

static int serve_asset(request_rec* r, RequestState* st) {
  ServerConf* c = conf_of(r->server);
  const lpicing::ResolvedFile& f = st->file;
  r->allowed |= (AP_METHOD_BIT << M_GET);
  if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;

  auto* core = static_cast<core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
  // A small body comes from the child's mappings (EnableMMAP Off: never).
  std::shared_ptr<const lpicing::MappedBody> body;
  if (c->bodies && core->enable_mmap != ENABLE_MMAP_OFF) body = c->bodies->get(f.file, f.size, f.sha256);
  apr_file_t* fd = nullptr;
  if (!body) {
    int status = open_store_file(r, core, f.file, f.size, &fd);
    if (status != OK) return status;
  }
  ap_set_content_length(r, static_cast<apr_off_t>(f.size));
  int status = set_headers_and_check(r, c, f.sha256, f.kind, f.vary, f.encoding, f.entry->mtime);
  if (status != OK) {
    if (fd) apr_file_close(fd);
    return status;
  }
  apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
  if (body) {
    // The request pool holds the mapping. A pool bucket made after that
    // hold copies its bytes to the heap should anything keep it past the
    // pool (cleanups run newest first), so the bytes never go away under it.
    using Held = std::shared_ptr<const lpicing::MappedBody>;
    auto* held = new Held(std::move(body));
    apr_pool_cleanup_register(r->pool, held, delete_object<Held>, apr_pool_cleanup_null);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create((*held)->data(), (*held)->size(), r->pool,
                                                       r->connection->bucket_alloc));
  } else {
    append_file(r, core, bb, fd, f.size);
  }
  return pass_body(r, bb);
}

// A combo: headers as for one asset, then the conditions (so a 304 costs no
// file or compression work), then the members as file buckets (identity) or
// the compressed concatenation, from the per-child cache when it is there.
static int serve_combo(request_rec* r, RequestState* st) {
  ServerConf* c = conf_of(r->server);
  const lpicing::ResolvedCombo& combo = st->combo;
  r->allowed |= (AP_METHOD_BIT << M_GET);
  if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
  int status = set_headers_and_check(r, c, combo.digest, combo.kind, combo.vary, combo.encoding, combo.mtime);
  if (status != OK) return status;

  apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
  if (combo.encoding == lpicing::Encoding::identity) {
    auto* core = static_cast<core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
    for (std::size_t i = 0; i < combo.members.size(); ++i) {
      std::uint64_t size = combo.members[i]->size;
      apr_file_t* fd = nullptr;
      status = open_store_file(r, core, combo.files[i], size, &fd);
      if (status != OK) return status;
      if (size == 0)
        apr_file_close(fd);
      else
        append_file(r, core, bb, fd, size);
    }
    ap_set_content_length(r, static_cast<apr_off_t>(combo.identity_size));
  } else {
    lpicing::ComboBody body = lpicing::combo_body(combo, c->combo_cache);
    if (body.status != lpicing::ComboBodyStatus::ok) {
      bool gone = body.status == lpicing::ComboBodyStatus::not_found;
      ap_log_rerror(APLOG_MARK, gone ? APLOG_DEBUG : APLOG_ERR, 0, r, "LPI0604: combo %s: %s", r->uri,
                    body.error.c_str());
      apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
      return gone ? HTTP_NOT_FOUND : HTTP_INTERNAL_SERVER_ERROR;
    }
    st->combo_body = body.bytes;  // outlives the brigade: freed with r->pool
    // Transient: a filter that must keep it past this call copies it.
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(st->combo_body->data(), st->combo_body->size(),
                                                            r->connection->bucket_alloc));
    ap_set_content_length(r, static_cast<apr_off_t>(st->combo_body->size()));
  }
  return pass_body(r, bb);
}

static int handler(request_rec* r) {
  if (RequestState* st = state_of(r))
    return guarded(r, [&] { return st->is_combo ? serve_combo(r, st) : serve_asset(r, st); });
  if (!r->handler || std::strcmp(r->handler, kStatusHandler) != 0) return DECLINED;
  return guarded(r, [&]() -> int {
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    ServerConf* c = conf_of(r->server);
    if (!c->store) return HTTP_NOT_FOUND;
    lpicing::StoreReport report = lpicing::store_report(c->store, c->cache);
    lpicing::RequestCounts counts = lpicing::RequestCounterTable(c->counters).counts(c->counter_slot);
    bool prometheus = r->args && lpicing::wants_prometheus(r->args);
    std::string body = prometheus ? lpicing::status_prometheus(report, counts) : lpicing::status_json(report, counts);
    ap_set_content_type(r, prometheus ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
  });
}

// Request counters live in anonymous shared memory owned by the process pool,
// so the children inherit them and they survive graceful restarts.
static int setup_counters(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
  void* memory = nullptr;
  apr_pool_userdata_get(&memory, kCounterKey, s->process->pool);
  if (!memory) {
    apr_size_t bytes = lpicing::RequestCounterTable::bytes_for(kCounterSlots);
    apr_shm_t* shm = nullptr;
    apr_status_t rv = apr_shm_create(&shm, bytes, nullptr, s->process->pool);
    if (rv != APR_SUCCESS) {
      ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                   "LPI0402: cannot create shared memory for request counters (%" APR_SIZE_T_FMT " bytes)", bytes);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    memory = apr_shm_baseaddr_get(shm);
    lpicing::RequestCounterTable::format(memory, apr_shm_size_get(shm));
    apr_pool_userdata_set(memory, kCounterKey, apr_pool_cleanup_null, s->process->pool);
  }
  lpicing::RequestCounterTable table(memory);
  for (server_rec* v = s; v; v = v->next) {
    ServerConf* c = conf_of(v);
    c->counters = memory;
    c->counter_slot = c->store ? table.slot_for(c->store) : -1;
    if (c->store && c->counter_slot < 0)
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                   "LPI0403: requests for store %s are not counted: more than %" APR_SIZE_T_FMT
                   " stores since start, or a path over %" APR_SIZE_T_FMT " bytes",
                   c->store, static_cast<apr_size_t>(kCounterSlots),
                   static_cast<apr_size_t>(lpicing::RequestCounterTable::kStoreBytes - 1));
  }
  return OK;
}

// Counts every request for an icing URL once, by its final status (after any
// ErrorDocument redirect) and the body bytes sent, as mod_log_config sees them.
static int count_request(request_rec* r) {
  request_rec* first = r;
  while (first->prev) first = first->prev;
  if (!apr_table_get(first->notes, kCountedNote)) return DECLINED;
  request_rec* last = r;
  while (last->next) last = last->next;
  ServerConf* c = conf_of(first->server);
  lpicing::RequestCounterTable(c->counters)
      .add(c->counter_slot, last->status, static_cast<std::uint64_t>(last->bytes_sent > 0 ? last->bytes_sent : 0));
  return DECLINED;
}

// The fast path (LPIcingQuickHandler On, the default): icing URLs are answered
// straight after the request is read, as mod_cache's CacheQuickHandler does,
// skipping the location walk, access checks and mapping that public,
// immutable assets do not need. The same resolution and response code run
// as on the slow path; only the hooks in between are left out.
static int icing_quick_handler(request_rec* r, int lookup) {
  if (lookup || r->main || r->prev || r->proxyreq) return DECLINED;
  ServerConf* c = conf_of(r->server);
  if (c->quick != 1 || !c->store) return DECLINED;
  int status = translate_name(r);
  if (status != OK) return status;  // DECLINED: not ours; or a 4xx/5xx for ap_die
  ap_run_type_checker(r);           // mod_mime types the asset by r->filename
  ap_run_insert_filter(r);          // mod_headers, mod_deflate and the like still apply
  // What ap_invoke_handler does next: run the filters' init functions. Without it
  // mod_filter's harness (AddOutputFilterByType, e.g. Debian's default mod_deflate
  // config) has no context and the child segfaults.
  for (ap_filter_t* f : {r->input_filters, r->output_filters}) {
    for (; f; f = f->next) {
      if (f->frec->filter_init_func) {
        int rv = f->frec->filter_init_func(f);
        if (rv != OK) return rv;
      }
    }
  }
  status = handler(r);
  // ap_invoke_handler's step: a 405's Allow header lists what the handler allows.
  r->allowed_methods->method_mask |= r->allowed;
  return status == DECLINED ? HTTP_NOT_FOUND : status;
}

static void register_hooks(apr_pool_t*) {
  ap_hook_check_config(check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_config(setup_counters, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_log_transaction(count_request, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_child_init(child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
  // The prefix belongs to the store: before mod_rewrite, mod_proxy and
  // mod_alias (which also run first), whatever the LoadModule order.
  static const char* const before[] = {"mod_rewrite.c", "mod_proxy.c", "mod_alias.c", nullptr};
  ap_hook_translate_name(translate_name, nullptr, before, APR_HOOK_FIRST);
  ap_hook_map_to_storage(map_to_storage, nullptr, nullptr, APR_HOOK_FIRST);
  ap_hook_fixups(fixups, nullptr, nullptr, APR_HOOK_LAST);
  ap_hook_handler(handler, nullptr, nullptr, APR_HOOK_FIRST);
  // After mod_lpedge (APR_HOOK_REALLY_FIRST): an edge host's icing URL is redirected.
  ap_hook_quick_handler(icing_quick_handler, nullptr, nullptr, APR_HOOK_FIRST);
}

#define LPI_CMD(fn) reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn))

static const command_rec lpicing_cmds[] = {
    AP_INIT_TAKE1("LPIcingStore", LPI_CMD(cmd_store), nullptr, RSRC_CONF,
                  "DIR: the revision store (module inactive without it)"),
    AP_INIT_TAKE1("LPIcingPrefix", LPI_CMD(cmd_prefix), nullptr, RSRC_CONF, "URL-PATH: URL prefix (default /+icing)"),
    AP_INIT_TAKE1("LPIcingCurrentMaxAge", LPI_CMD(cmd_max_age), nullptr, RSRC_CONF,
                  "SECONDS: max-age of unversioned URLs (default 300)"),
    AP_INIT_TAKE1("LPIcingIncoming", LPI_CMD(cmd_incoming), nullptr, RSRC_CONF,
                  "DIR: drop directory; a bundle renamed into it is deployed within 2 s"),
    AP_INIT_TAKE1("LPIcingTrustedKey", LPI_CMD(cmd_trusted_key), nullptr, RSRC_CONF,
                  "FILE: Ed25519 public key (PEM); only bundles signed with it are deployed from the drop directory"),
    AP_INIT_TAKE1("LPIcingKeep", LPI_CMD(cmd_keep), nullptr, RSRC_CONF,
                  "N: revisions kept when the drop directory deploys (default 5)"),
    AP_INIT_TAKE1("LPIcingTool", LPI_CMD(cmd_tool), nullptr, RSRC_CONF,
                  "PATH: the lpicing program the drop-directory watcher runs (default " LPICING_TOOL_DEFAULT ")"),
    AP_INIT_TAKE1("LPIcingComboMaxFiles", LPI_CMD(cmd_combo_max_files), nullptr, RSRC_CONF,
                  "N: most files one combo URL may name (default 100)"),
    AP_INIT_TAKE1("LPIcingComboMaxBytes", LPI_CMD(cmd_combo_max_bytes), nullptr, RSRC_CONF,
                  "SIZE: most bytes (before compression) one combo may add up to (default 4M)"),
    AP_INIT_TAKE1("LPIcingComboCacheBytes", LPI_CMD(cmd_combo_cache_bytes), nullptr, RSRC_CONF,
                  "SIZE: per-child cache of compressed combos, 0 for none (default 8M)"),
    AP_INIT_FLAG("LPIcingQuickHandler", LPI_CMD(cmd_quick), nullptr, RSRC_CONF,
                 "On|Off: answer icing URLs before <Location> access checks (default On)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr}};

module AP_MODULE_DECLARE_DATA lpicing_module = {
    STANDARD20_MODULE_STUFF,
    nullptr,  // per-directory config: none, the module works per server
    nullptr,
    create_server_conf,
    merge_server_conf,
    lpicing_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE,
};

}  // extern "C"
