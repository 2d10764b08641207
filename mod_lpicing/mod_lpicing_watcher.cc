// mod_lpicing's drop-directory watchers: one process per drop directory,
// forked from httpd's parent like mod_cgid's daemon, that becomes
// LPIcingUser before it looks at anything, and runs `lpicing ingest` (as
// that user, under a time limit) whenever a bundle lands. Request-serving
// children never write to the store. Outcomes come back through the store's
// drop journal, so an ingest that outlives its watcher (a graceful restart)
// still gets its outcome logged, once, by the next one. The watcher also
// keeps the drop directory's gauges (bundles waiting, its own heartbeat) in
// shared memory for the status pages, and journals the failures an ingest
// could not journal itself (killed over its time limit, or no store lock).
#include <fcntl.h>
#include <grp.h>
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

#include "ingest.h"
#include "journal.h"
#include "metrics.h"
#include "mod_lpicing.h"

#include <ap_listen.h>
#include <ap_mpm.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <http_core.h>

using namespace lpicing_httpd;

namespace {

constexpr int kRescanMs = 1000;  // inotify wakes the watcher at once; this is the fallback
constexpr int kRestSeconds = 30;
// The waiting count stops here: a drop directory stuffed with names must not
// make every tick a long readdir (the gauge then reads "at least this many").
constexpr std::size_t kMaxCountedBundles = 10000;
constexpr int kExitSetupFailed = 78;  // EX_CONFIG: restarting would fail the same way

// One drop directory, its settings (every server using it agrees: check_config)
// and its watcher process.
struct Watcher {
  server_rec* server;
  const ServerConf* conf;
  apr_pool_t* pool;
  apr_proc_t proc;  // pid -1 once the MPM has reaped it
  pid_t parent;     // httpd's parent, taken before the fork
};

// How one `lpicing ingest` ended: its exit code (128+N for a signal N), and
// in words when it failed.
struct IngestRun {
  int code = 0;
  std::string why;
};

// Publishes the drop directory's gauges for the status pages: ready bundles
// waiting (the one being ingested included), and that the watcher is alive.
// Returns the number waiting.
std::size_t publish_gauges(const Watcher* w) {
  const ServerConf* c = w->conf;
  std::size_t waiting = lpicing::count_ready_bundles(c->incoming, kMaxCountedBundles);
  c->drop_gauges.set(c->drop_slot, lpicing::kPendingColumn, waiting);
  c->drop_gauges.set(c->drop_slot, lpicing::kWatcherSeenColumn, static_cast<std::uint64_t>(apr_time_sec(apr_time_now())));
  return waiting;
}

// Becomes the deploy user for good: groups, gid, uid, then proof that root
// cannot be had back. Nothing of the drop directory is touched before.
bool drop_privileges(const ServerConf* c, std::string* why) {
  if (geteuid() != 0) return true;  // httpd is not root: check_config made sure it runs as LPIcingUser
  auto uid = static_cast<uid_t>(c->uid);
  auto gid = static_cast<gid_t>(c->gid);
  if (initgroups(c->user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
    *why = std::string("cannot become ") + c->user + ": " + std::strerror(errno);
    return false;
  }
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid || setuid(0) == 0) {
    *why = std::string("still privileged after becoming ") + c->user;
    return false;
  }
  return true;
}

// Holds SIGTERM back for its lifetime: a graceful restart's SIGTERM then
// lands after the lines are logged and the mark written, never between
// (the next watcher would log them again). The parent's SIGKILL after 1 s
// still bounds it.
class TermDeferred {
 public:
  TermDeferred() {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old_);
  }
  ~TermDeferred() { sigprocmask(SIG_SETMASK, &old_, nullptr); }
  TermDeferred(const TermDeferred&) = delete;
  TermDeferred& operator=(const TermDeferred&) = delete;

 private:
  sigset_t old_;
};

// Logs the journal's new records, each once, with the level its result calls for.
void report_outcomes(const Watcher* w, std::uint64_t* reported) {
  TermDeferred deferred;
  const ServerConf* c = w->conf;
  lpicing::DropState state = lpicing::read_drop_state(c->store);
  if (state.last_seq <= *reported) return;
  for (const lpicing::DropRecord& r : lpicing::read_drop_records(c->store, *reported)) {
    std::string text = lpicing::describe(r);
    int level = APLOG_ERR;
    const char* tag = "LPI0313";
    switch (r.result) {
      case lpicing::DropResult::deployed: level = APLOG_NOTICE, tag = "LPI0310"; break;
      case lpicing::DropResult::unchanged: level = APLOG_NOTICE, tag = "LPI0311"; break;
      case lpicing::DropResult::rejected: tag = "LPI0312"; break;
      case lpicing::DropResult::error: tag = "LPI0313"; break;
      case lpicing::DropResult::skipped: tag = "LPI0314"; break;
      case lpicing::DropResult::pruned: level = APLOG_NOTICE, tag = "LPI0315"; break;
      case lpicing::DropResult::set_aside: tag = "LPI0317"; break;
    }
    ap_log_error(APLOG_MARK, level, 0, w->server, "%s: drop directory %s: %s", tag, c->incoming, text.c_str());
    *reported = r.seq;
  }
  if (state.last_seq > *reported) *reported = state.last_seq;  // records rotated away
  // Unwritable, the mark only costs a later watcher logging these outcomes again.
  static_cast<void>(lpicing::write_reported_seq(c->store, *reported));
}

// Runs `lpicing ingest` once: as the deploy user (inherited), under
// LPIcingIngestTimeout (an alarm that outlives this process, so a graceful
// restart does not lift it), with the key httpd read at configuration time
// on descriptor 3. The gauges stay current while it runs.
IngestRun run_ingest(const Watcher* w) {
  const ServerConf* c = w->conf;
  std::string keep = std::to_string(c->keep);
  std::vector<std::string> args = {c->tool, "ingest", "--incoming", c->incoming, "--store", c->store, "--keep", keep};
  if (c->trusted_key_pem) args.insert(args.end(), {"--trusted-key-fd", "3"});
  if (c->max_entries != lpicing::kUnsetSetting) args.insert(args.end(), {"--max-entries", std::to_string(c->max_entries)});
  if (c->max_bytes != lpicing::kUnsetSetting) args.insert(args.end(), {"--max-bytes", std::to_string(c->max_bytes)});
  if (c->max_ratio) args.insert(args.end(), {"--max-ratio", c->max_ratio});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2], key[2] = {-1, -1};
  bool piped = pipe2(out, O_CLOEXEC) == 0;
  if (piped && c->trusted_key_pem && pipe2(key, O_CLOEXEC) != 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    errno = e;
    piped = false;
  }
  if (!piped) {
    ap_log_error(APLOG_MARK, APLOG_ERR, errno, w->server, "LPI0301: cannot create a pipe for lpicing ingest");
    return {127, "no pipe for lpicing ingest"};
  }
  pid_t tool = fork();
  if (tool == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    if (key[0] >= 0) dup2(key[0], 3);
    closefrom(c->trusted_key_pem ? 4 : 3);
    alarm(static_cast<unsigned>(c->ingest_timeout));
    execv(c->tool, argv.data());
    static const char msg[] = "LPI0305: cannot execute the lpicing tool\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  close(out[1]);
  if (key[0] >= 0) {
    close(key[0]);
    // A PEM public key is far smaller than a pipe's buffer: this never blocks.
    (void)!write(key[1], c->trusted_key_pem, std::strlen(c->trusted_key_pem));
    close(key[1]);
  }
  if (tool < 0) {
    ap_log_error(APLOG_MARK, APLOG_ERR, errno, w->server, "LPI0302: cannot fork to run %s", c->tool);
    close(out[0]);
    return {127, "cannot fork to run lpicing ingest"};
  }
  std::string output;
  char buf[4096];
  apr_time_t published = apr_time_now();
  for (;;) {
    pollfd p{out[0], POLLIN, 0};
    int ready = poll(&p, 1, kRescanMs);
    if (ready > 0) {
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
      if (n > 0 && output.size() < 65536) output.append(buf, static_cast<std::size_t>(n));
    } else if (ready < 0 && errno != EINTR) {
      break;
    }
    if (apr_time_now() - published >= apr_time_from_msec(kRescanMs)) {
      publish_gauges(w);
      published = apr_time_now();
    }
  }
  close(out[0]);
  int status = 0;
  while (waitpid(tool, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server,
                 "LPI0316: drop directory %s: lpicing ingest ran longer than LPIcingIngestTimeout (%d s) and was "
                 "killed; its bundle is left in place",
                 c->incoming, c->ingest_timeout);
    return {128 + SIGALRM, "lpicing ingest ran longer than LPIcingIngestTimeout (" + std::to_string(c->ingest_timeout) +
                               " s) and was killed; its bundle is left in place"};
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  IngestRun run{code, ""};
  // Outcomes come from the journal; the tool's own words only when it failed
  // in a way the journal may not hold (it could not even lock the store).
  if (code != 0 && code != 2) {
    std::size_t start = 0;
    while (start < output.size()) {
      std::size_t end = output.find('\n', start);
      if (end == std::string::npos) end = output.size();
      std::string line = output.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server, "LPI0300: drop directory %s: %s", c->incoming, line.c_str());
      run.why = line;  // the last line says most
    }
    if (run.why.empty()) run.why = "lpicing ingest failed (exit " + std::to_string(code) + ")";
  }
  return run;
}

// An ingest that failed without journaling (its journal did not move) gets
// one error record, so the status page counts it; its lines are already
// logged, so the record is marked as reported. SIGTERM waits until both are
// written, or the next watcher would log the record again.
void journal_failure(const Watcher* w, const IngestRun& run, std::uint64_t seq_before, std::uint64_t* reported) {
  const ServerConf* c = w->conf;
  TermDeferred deferred;
  lpweb::Result<std::uint64_t> seq =
      lpicing::journal_ingest_failure(c->store, run.why, apr_time_sec(apr_time_now()), seq_before);
  if (seq && *seq == seq_before + 1 && *reported == seq_before) {
    *reported = *seq;
    static_cast<void>(lpicing::write_reported_seq(c->store, *reported));
  }
}

[[noreturn]] void watcher_main(Watcher* w) {
  // The parent's handlers only set flags for its own loop: take the defaults back.
  for (int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGWINCH, SIGINT, SIGCHLD, SIGALRM}) signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);  // inherited by ingest: it outlives our end of its pipe
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  ap_close_listeners();
  const ServerConf* c = w->conf;
  std::string why;
  if (!drop_privileges(c, &why)) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, w->server, "LPI0318: drop-directory watcher for %s: %s; not started",
                 c->incoming, why.c_str());
    _exit(kExitSetupFailed);
  }
  umask(022);
  // After the change of user: the kernel clears the death signal on it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != w->parent) _exit(0);  // httpd died before prctl took effect

  int notify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (notify >= 0 && inotify_add_watch(notify, c->incoming, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    ap_log_error(APLOG_MARK, APLOG_WARNING, errno, w->server,
                 "LPI0306: cannot watch drop directory %s; looking every %d ms instead", c->incoming, kRescanMs);
  }
  ap_log_error(APLOG_MARK, APLOG_INFO, 0, w->server, "LPI0307: drop-directory watcher for %s started (pid %ld, uid %ld)",
               c->incoming, static_cast<long>(getpid()), static_cast<long>(getuid()));
  // Where the journal stood when this watcher first saw it; a new store starts at 0.
  std::uint64_t reported = 0;
  if (std::optional<std::uint64_t> mark = lpicing::read_reported_seq(c->store)) {
    reported = *mark;
  } else {
    reported = lpicing::read_drop_state(c->store).last_seq;
    static_cast<void>(lpicing::write_reported_seq(c->store, reported));
  }
  // After a store error (disk full, permissions) or a tool that cannot run,
  // the drop directory rests for a while instead of failing every second.
  apr_time_t rest_until = 0;
  while (getppid() == w->parent) {
    try {
      report_outcomes(w, &reported);  // also those of an ingest a previous watcher started
      std::size_t waiting = publish_gauges(w);
      if (apr_time_now() >= rest_until && waiting > 0) {
        std::uint64_t seq_before = lpicing::read_drop_state(c->store).last_seq;
        IngestRun run = run_ingest(w);
        report_outcomes(w, &reported);
        if (run.code != 0 && run.code != 2) {
          journal_failure(w, run, seq_before, &reported);
          rest_until = apr_time_now() + apr_time_from_sec(kRestSeconds);
          ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server,
                       "LPI0309: drop directory %s: lpicing ingest failed (exit %d); next try in %d s", c->incoming,
                       run.code, kRestSeconds);
        }
        publish_gauges(w);
      }
    } catch (const std::exception& e) {
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server, "LPI0304: drop-directory watcher for %s: %s", c->incoming,
                   e.what());
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
// configuration that started it goes away (restart or stop). An ingest it
// started is not stopped with it: the ingest's own alarm bounds it.
void watcher_maintenance(int reason, void* data, apr_wait_t status) {
  auto* w = static_cast<Watcher*>(data);
  switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST: {
      w->proc.pid = -1;  // reaped: never signal that pid again
      apr_proc_other_child_unregister(w);
      int state = AP_MPMQ_STOPPING;
      ap_mpm_query(AP_MPMQ_MPM_STATE, &state);
      if (state == AP_MPMQ_STOPPING) break;
      if (reason == APR_OC_REASON_DEATH && status == kExitSetupFailed) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server,
                     "LPI0319: drop-directory watcher for %s could not start; not restarting it", w->conf->incoming);
        break;
      }
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server, "LPI0308: drop-directory watcher for %s died; starting it again",
                   w->conf->incoming);
      start_watcher(w);
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

}  // namespace

extern "C" {

// Starts one watcher per drop directory (servers sharing one agree on its
// settings: check_config).
int lpicing_start_watcher(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
  if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
  std::vector<const char*> started;
  for (server_rec* v = s; v; v = v->next) {
    ServerConf* c = conf_of(v);
    if (!c->incoming) continue;
    bool seen = false;
    for (const char* d : started) seen = seen || std::strcmp(d, c->incoming) == 0;
    if (seen) continue;
    started.push_back(c->incoming);
    auto* w = static_cast<Watcher*>(apr_pcalloc(pconf, sizeof(Watcher)));
    w->server = s;
    w->conf = c;
    w->pool = pconf;
    apr_status_t rv = start_watcher(w);
    if (rv != APR_SUCCESS) {
      ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "LPI0005: cannot start the drop-directory watcher for %s",
                   c->incoming);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
  }
  return OK;
}

}  // extern "C"
