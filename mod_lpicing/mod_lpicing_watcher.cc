// mod_lpicing's drop-directory watcher: a process forked from httpd's parent,
// like mod_cgid's daemon, that runs `lpicing ingest` whenever a bundle lands
// in a drop directory, so request-serving children never write to the store.
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
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "mod_lpicing.h"

#include <ap_listen.h>
#include <ap_mpm.h>
#include <apr_thread_proc.h>
#include <http_core.h>

using namespace lpicing_httpd;

namespace {

constexpr int kRescanMs = 1000;  // inotify wakes the watcher at once; this is the fallback
constexpr int kRestSeconds = 30;

// One drop directory to watch, gathered from every server in post_config.
struct IngestJob {
  const char* incoming;
  const char* store;
  const char* trusted_key;
  const char* tool;
  int keep;
};

// The watcher process and what it watches.
struct Watcher {
  server_rec* server;
  apr_array_header_t* jobs;  // of IngestJob
  apr_pool_t* pool;
  apr_proc_t proc;           // pid -1 once the MPM has reaped it
  pid_t parent;              // httpd's parent, taken before the fork
};

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

}  // namespace

extern "C" {

// Starts the drop-directory watcher, one for all servers' drop directories.
int lpicing_start_watcher(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
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

}  // extern "C"
