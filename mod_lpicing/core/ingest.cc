// The drop directory's ingest: scan, then for each ready bundle one open
// relative to the directory (O_NOFOLLOW|O_NONBLOCK) checked against what the
// scan saw, a deploy from that descriptor, and the bundle removed, moved
// aside or left alone; every outcome journaled under the store lock.
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "fsutil.h"
#include "journal.h"
#include "store_layout.h"
#include "store_writer.h"

namespace lpicing {
namespace {

constexpr char kRejectedDir[] = "rejected";
constexpr char kSetAsidePrefix[] = ".rejected.";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Candidate {
  std::string name;
  struct timespec mtime;
  dev_t dev;
  ino_t ino;
};

std::string kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

std::vector<Candidate> scan(int incoming) {
  std::vector<Candidate> out;
  for (const std::string& n : list_dir(incoming, "drop directory")) {
    struct stat st;
    if (!is_ready_bundle_name(n) || ::fstatat(incoming, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
      continue;
    out.push_back(Candidate{n, st.st_mtim, st.st_dev, st.st_ino});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
    if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec < b.mtime.tv_nsec;
    return a.name < b.name;
  });
  return out;
}

// The candidate's one open: no link followed, no FIFO waited on, and the file
// the scan saw. Empty with *why set otherwise ("" when it is simply gone);
// *unreadable when the deploy user may not read it (a bundle like any other,
// rejected, not left to be tried every second).
UniqueFd open_candidate(int incoming, const Candidate& c, std::string* why, bool* unreadable) {
  *unreadable = false;
  UniqueFd fd(::openat(incoming, c.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    int e = errno;
    why->clear();
    *unreadable = e == EACCES || e == EPERM;
    if (e == ELOOP) *why = "it is now a symbolic link";
    else if (*unreadable) *why = "the deploy user cannot read it: " + errno_text(e);
    else if (e != ENOENT) *why = "it cannot be opened: " + errno_text(e);
    return fd;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    *why = "it cannot be examined: " + errno_text(errno);
    return UniqueFd();
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "it is now " + kind_of(st.st_mode);
    return UniqueFd();
  }
  if (st.st_dev != c.dev || st.st_ino != c.ino) {
    *why = "it was replaced by another file";
    return UniqueFd();
  }
  return fd;
}

// rejected/, when it is a directory of the deploy user's (made if missing);
// empty with *why otherwise.
UniqueFd open_rejected_dir(int incoming, std::string* why) {
  if (::mkdirat(incoming, kRejectedDir, 0750) != 0 && errno != EEXIST) {
    *why = "cannot be made: " + errno_text(errno);
    return UniqueFd();
  }
  UniqueFd fd(::openat(incoming, kRejectedDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    int e = errno;
    *why = e == ENOTDIR ? "is not a directory" : e == ELOOP ? "is a symbolic link" : "cannot be opened: " + errno_text(e);
    return fd;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || st.st_uid != ::geteuid()) {
    *why = "is not owned by the deploy user";
    return UniqueFd();
  }
  return fd;
}

// NAME.reason through a temporary and a rename: an existing name, link or
// not, is replaced, never written through.
void write_reason_file(int dirfd, const std::string& name, const std::string& text) {
  std::string tmp = "." + name.substr(0, 200) + ".tmp";
  ::unlinkat(dirfd, tmp.c_str(), 0);
  write_new_file_at(dirfd, tmp, text + "\n", quote(name));
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) throw SystemError("cannot write " + quote(name), errno);
}

// Moves a rejected bundle to rejected/, or renames it out of the way when
// rejected/ cannot take it. Returns the journal record. Throws SystemError.
DropRecord move_aside(int incoming, const std::string& name, const std::string& reason) {
  DropRecord r;
  r.bundle = name;
  std::string why;
  UniqueFd rejected = open_rejected_dir(incoming, &why);
  if (rejected) {
    if (::renameat(incoming, name.c_str(), rejected.get(), name.c_str()) != 0)
      throw SystemError("cannot move rejected bundle " + quote(name), errno);
    write_reason_file(rejected.get(), name + ".reason", reason);
    r.result = DropResult::rejected;
    r.detail = reason;
    return r;
  }
  // Hidden names are never tried again; ".reason" must still fit NAME_MAX.
  std::string aside = kSetAsidePrefix + name.substr(0, 238);
  if (::renameat(incoming, name.c_str(), incoming, aside.c_str()) != 0)
    throw SystemError("cannot set rejected bundle " + quote(name) + " aside", errno);
  write_reason_file(incoming, aside + ".reason", reason);
  r.result = DropResult::set_aside;
  r.detail = reason + "; rejected/ " + why + ", so it was renamed " + quote(aside);
  return r;
}

// Removes a deployed bundle, unless the name now holds something else.
void remove_deployed(int incoming, const Candidate& c) {
  struct stat st;
  if (::fstatat(incoming, c.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != c.dev || st.st_ino != c.ino)
    return;
  if (::unlinkat(incoming, c.name.c_str(), 0) != 0 && errno != ENOENT)
    throw SystemError("cannot remove deployed bundle " + quote(c.name), errno);
}

}  // namespace

bool is_ready_bundle_name(std::string_view name) {
  return !name.empty() && name[0] != '.' && name != kRejectedDir && !ends_with(name, ".part") &&
         !ends_with(name, ".tmp");
}

std::size_t count_ready_bundles(const std::string& incoming_dir, std::size_t limit) {
  DIR* d = ::opendir(incoming_dir.c_str());
  if (!d) return 0;
  std::size_t found = 0;
  while (found < limit) {
    struct dirent* e = ::readdir(d);
    if (!e) break;
    struct stat st;
    if (is_ready_bundle_name(e->d_name) && ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode))
      ++found;
  }
  ::closedir(d);
  return found;
}

lpweb::Result<std::uint64_t> journal_ingest_failure(const std::string& store_dir, const std::string& detail,
                                                    std::int64_t now, std::uint64_t journal_seq) {
  try {
    LockedStore store;
    if (!store.open(store_dir, false, false)) return store_error("another writer holds the store lock");
    if (read_drop_state(store_dir).last_seq != journal_seq) return std::uint64_t{0};  // it journaled after all
    std::vector<DropRecord> records(1);
    records[0].result = DropResult::error;
    records[0].detail = detail;
    append_drop_records(store.store(), &records, now);
    return records[0].seq;
  } catch (const std::exception& e) {
    return store_error(e.what());
  }
}

IngestReport ingest_incoming(const IngestOptions& options, const std::function<void(const std::string&)>& log) {
  IngestReport report;
  LockedStore store;
  bool locked = false;
  // Each outcome is journaled as soon as it is known (the lock is held), so
  // one that a kill cuts short (a full restart, the time limit) loses only
  // the bundle it was on.
  auto record = [&](DropRecord r) {
    log(describe(r));
    if (!locked) return;
    try {
      std::vector<DropRecord> one{std::move(r)};
      std::int64_t now = options.deploy.now ? options.deploy.now : static_cast<std::int64_t>(::time(nullptr));
      append_drop_records(store.store(), &one, now);
    } catch (const std::exception& e) {
      report.outcome = lpweb::system_error(std::string("cannot write the drop journal: ") + e.what());
      log(report.outcome.error().message);
    }
  };
  try {
    UniqueFd incoming = open_dir_at(AT_FDCWD, options.incoming_dir, "drop directory " + quote(options.incoming_dir));
    std::vector<Candidate> candidates = scan(incoming.get());
    if (candidates.empty()) return report;
    // Run once a second while bundles wait: when another writer is busy, a later run does it.
    if (!store.open(options.store_dir, true, false)) {
      report.busy = true;
      return report;
    }
    locked = true;
    DeployOptions deploy = options.deploy;
    deploy.activate = true;
    deploy.activate_existing = false;
    deploy.keep.reset();
    bool deployed_new = false;
    for (const Candidate& c : candidates) {
      std::string why;
      bool unreadable = false;
      UniqueFd fd = open_candidate(incoming.get(), c, &why, &unreadable);
      if (!fd && unreadable) {
        report.rejected.push_back(c.name);
        if (report.outcome) report.outcome = lpweb::rejected(c.name, why);
        record(move_aside(incoming.get(), c.name, why));
        continue;
      }
      if (!fd) {
        if (why.empty()) continue;  // gone since the scan
        DropRecord r;
        r.result = DropResult::skipped;
        r.bundle = c.name;
        r.detail = "changed between the scan and the open (" + why + "); left alone";
        report.rejected.push_back(c.name);
        if (report.outcome) report.outcome = lpweb::rejected(c.name, r.detail);
        record(std::move(r));
        continue;
      }
      StoreResult result = [&]() -> StoreResult {
        try {
          return deploy_locked(store, fd.get(), deploy);
        } catch (const std::exception& e) {
          return store_error(e.what());
        }
      }();
      DropRecord r;
      r.bundle = c.name;
      if (!result && result.error().kind == lpweb::Error::Kind::system) {
        r.result = DropResult::error;
        r.detail = result.error().what();
        report.outcome = lpweb::system_error(describe(r));
        record(std::move(r));
        break;
      }
      if (result) {
        r.revision = result->revision;
        remove_deployed(incoming.get(), c);
        r.result = result->unchanged ? DropResult::unchanged : DropResult::deployed;
        if (!result->unchanged) r.detail = describe_reuse(result->reuse);
        if (result->unchanged)
          r.detail = "current is " + quote(layout::read_revision_link_at(store.store(), store.dir(), layout::kCurrent)) +
                     "; roll back with lpicing activate";
        deployed_new = deployed_new || !result->unchanged;
        report.deployed.push_back(c.name);
        record(std::move(r));
        continue;
      }
      DropRecord aside = move_aside(incoming.get(), c.name, result.error().what());
      report.rejected.push_back(c.name);
      if (report.outcome) report.outcome = lpweb::rejected(c.name, result.error().what());
      record(std::move(aside));
    }
    if (deployed_new) {
      std::size_t keep = options.deploy.keep.value_or(kDefaultIngestKeep);
      for (const std::string& pruned : prune_locked(store, keep, options.deploy.now, options.deploy.on_step)) {
        DropRecord r;
        r.result = DropResult::pruned;
        r.revision = pruned;
        record(std::move(r));
      }
    }
  } catch (const std::exception& e) {
    report.outcome = store_error(e.what());
    DropRecord r;
    r.result = DropResult::error;
    r.detail = report.outcome.error().message;
    record(std::move(r));
  }
  return report;
}

}  // namespace lpicing
