// The store's writers. Each change is staged under STORE/staging and made visible by a
// single rename (a revision) or a symlink+rename (current/previous), all under
// STORE/.lock, so readers see a revision complete or not at all. The drop
// directory's ingest is in ingest.cc; building a staged revision in revision_build.cc.
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "crypto.h"
#include "fsutil.h"
#include "index.h"
#include "objects.h"
#include "revision_build.h"
#include "store_layout.h"
#include "store_report.h"
#include "store_writer.h"

namespace lpicing {

namespace {

using namespace layout;

std::int64_t clock_now(std::int64_t now) { return now ? now : static_cast<std::int64_t>(::time(nullptr)); }

void step(const StepHook& hook, const char* name) {
  if (hook) hook(name);
}

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

void write_revision_link(int storefd, const std::string& name, const std::string& revision,
                         const StepHook& hook) {
  std::string tmp = name + ".tmp." + std::to_string(::getpid());
  ::unlinkat(storefd, tmp.c_str(), 0);
  std::string target = revision_link_target(revision);
  if (::symlinkat(target.c_str(), storefd, tmp.c_str()) != 0)
    throw SystemError("cannot create link " + quote(tmp), errno);
  if (name == kCurrent) step(hook, "during-activate");
  if (::renameat(storefd, tmp.c_str(), storefd, name.c_str()) != 0) {
    int e = errno;
    ::unlinkat(storefd, tmp.c_str(), 0);
    throw SystemError("cannot replace link " + quote(name), e);
  }
}

bool revision_exists(int revisionsfd, const std::string& revision) {
  struct stat st;
  return ::fstatat(revisionsfd, revision.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// An activate killed after recording previous.pending: if current already
// flipped, pending is the real previous revision; if not, it is current.
void finish_flip(int storefd) {
  char pending[512], cur[512];
  ssize_t p = ::readlinkat(storefd, kPreviousPending, pending, sizeof pending);
  if (p < 0) return;
  ssize_t c = ::readlinkat(storefd, kCurrent, cur, sizeof cur);
  bool flipped = !(c == p && std::memcmp(cur, pending, static_cast<std::size_t>(p)) == 0);
  int rc = flipped ? ::renameat(storefd, kPreviousPending, storefd, kPrevious) : ::unlinkat(storefd, kPreviousPending, 0);
  if (rc != 0 && errno != ENOENT) throw SystemError("cannot finish an interrupted activation", errno);
}

// What prune_locked would remove, read without the lock and changing nothing
// (not even a dead writer's leftovers). The pins are those the real prune
// would see once LockedStore::open had finished an interrupted change.
std::vector<std::string> prune_preview(const std::string& store_dir, std::size_t keep, std::int64_t now) {
  UniqueFd storefd = open_dir_at(AT_FDCWD, store_dir, "store " + quote(store_dir));
  StoreReport report = read_store_report(store_dir);
  if (report.listing_failed) throw std::runtime_error("cannot list revisions: " + report.errors[0].why);
  std::string current = read_revision_link_at(storefd.get(), store_dir, kCurrent);
  std::string previous = read_revision_link_at(storefd.get(), store_dir, kPrevious);
  std::string pending = read_revision_link_at(storefd.get(), store_dir, kPreviousPending);
  if (!pending.empty() && pending != current) previous = pending;  // finish_flip
  std::string activating = read_revision_link_at(storefd.get(), store_dir, kActivating);
  bool present = false;
  for (const RevisionInfo& r : retention_input(report)) present = present || r.revision == activating;
  if (!activating.empty() && present && activating != current) {  // clean_leftovers activates it
    previous = current;
    current = activating;
  }
  return revisions_to_prune(retention_input(report), keep, current, previous, now);
}

void write_gc_mark(int storefd) {
  UniqueFd fd(::openat(storefd, kGcPending, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw SystemError("cannot create " + quote(kGcPending), errno);
  fsync_fd(storefd, "store directory");
}

// A bundle whose SHA256SUMS came after its files had every file written:
// those the pool already holds are swapped for links (one rename each, so a
// staged file is never missing), saving the disk and the precompression.
void link_written_duplicates(int stagefd, int filesfd, Bundle& bundle, ObjectPool& pool) {
  static constexpr char kTemp[] = "reuse.tmp";  // beside files/, where no bundle name can be
  for (BundleFile& f : bundle.files) {
    if (f.reused || !pool.link_object(f.sha256, f.size, stagefd, kTemp)) continue;
    if (::renameat(stagefd, kTemp, filesfd, f.path.c_str()) != 0) {
      int e = errno;
      ::unlinkat(stagefd, kTemp, 0);
      throw SystemError("cannot link the store's copy of " + quote(f.path), e);
    }
    f.reused = true;
  }
}

ReuseStats reuse_stats(const Bundle& bundle, const BuiltRevision& built) {
  ReuseStats s;
  for (const BundleFile& f : bundle.files) {
    (f.reused ? s.files_reused : s.files_written) += 1;
    (f.reused ? s.bytes_reused : s.bytes_written) += f.size;
  }
  s.variants_reused = built.variants_reused;
  s.variants_computed = built.variants_computed;
  return s;
}

// Pools what the deploy wrote, once its revision is in place (objects.h).
// A file that cannot be pooled only means less reuse later.
void adopt_objects(ObjectPool& pool, int filesfd, const std::vector<Adoption>& adoptions, const StepHook& hook) {
  bool first = true;
  for (const Adoption& a : adoptions) {
    if (a.path.empty()) pool.mark_not_worth(a.sha256, *a.kind);
    else if (a.kind) pool.adopt_variant(filesfd, a.path, a.sha256, *a.kind);
    else pool.adopt(filesfd, a.path, a.sha256);
    if (first) step(hook, "during-adopt");
    first = false;
  }
}

template <typename F>
StoreResult guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return store_error(e.what());
  }
}

}  // namespace

// ---- The writer's lock ----

bool LockedStore::open(const std::string& dir, bool create, bool wait) {
  dir_ = dir;
  if (create && ::mkdir(dir.c_str(), 0755) == 0) {
    UniqueFd fd = open_dir_at(AT_FDCWD, dir, "store " + quote(dir));
    if (::fchmod(fd.get(), 0755) != 0) throw SystemError("cannot chmod store " + quote(dir), errno);
  }
  store_ = open_dir_at(AT_FDCWD, dir, "store " + quote(dir));
  lock_.reset(::openat(store_.get(), kLock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!lock_) throw SystemError("cannot open lock file " + quote(store_path(dir, kLock)), errno);
  for (;;) {
    if (::flock(lock_.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) break;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !wait) return false;
    throw SystemError("cannot lock " + quote(store_path(dir, kLock)), errno);
  }
  revisions_ = ensure_dir_at(store_.get(), kRevisions, "revisions directory");
  staging_ = ensure_dir_at(store_.get(), kStaging, "staging directory");
  clean_leftovers();
  return true;
}

// A writer that died mid-change leaves staging entries, link temporaries, an
// activation it had begun, or one it had meant to make, behind.
void LockedStore::clean_leftovers() {
  for (const std::string& n : list_dir(staging_.get(), "staging directory"))
    remove_tree_at(staging_.get(), n, "staging leftover " + quote(n));
  for (const std::string& n : list_dir(store_.get(), "store"))
    if (starts_with(n, "current.tmp.") || starts_with(n, "previous.tmp.") || starts_with(n, "previous.pending.tmp.") ||
        starts_with(n, "activating.tmp."))
      if (::unlinkat(store_.get(), n.c_str(), 0) != 0 && errno != ENOENT)
        throw SystemError("cannot remove leftover " + quote(n), errno);
  finish_flip(store_.get());
  // A deploy killed after renaming its revision into place, before making it current.
  std::string activating = read_revision_link_at(store_.get(), dir_, kActivating);
  if (!activating.empty() && revision_exists(revisions_.get(), activating))
    static_cast<void>(activate_locked(*this, activating, {}));  // it exists: only a throw can fail it
  if (::unlinkat(store_.get(), kActivating, 0) != 0 && errno != ENOENT)
    throw SystemError("cannot remove link \"activating\"", errno);
}

// ---- Steps under the lock ----

// Caller holds the lock. Throws SystemError.
StoreResult activate_locked(LockedStore& store, const std::string& revision, const StepHook& hook) {
  StoreChange result;
  result.revision = revision;
  if (!is_valid_revision_id(revision) || !revision_exists(store.revisions(), revision))
    return lpweb::rejected("revision " + quote(revision) + " is not in the store");
  std::string old = read_revision_link_at(store.store(), store.dir(), kCurrent);
  result.unchanged = old == revision;
  if (result.unchanged) return result;
  // previous.pending records the revision being replaced before current
  // flips, so a kill at any point loses neither pin (invariant 5); the next
  // writer finishes the job (finish_flip).
  if (!old.empty()) write_revision_link(store.store(), kPreviousPending, old, hook);
  write_revision_link(store.store(), kCurrent, revision, hook);
  if (!old.empty() && ::renameat(store.store(), kPreviousPending, store.store(), kPrevious) != 0)
    throw SystemError("cannot replace link \"previous\"", errno);
  fsync_fd(store.store(), "store directory");
  return result;
}

// Caller holds the lock. Throws SystemError.
std::vector<std::string> prune_locked(LockedStore& store, std::size_t keep, std::int64_t now, const StepHook& hook) {
  auto doomed = revisions_to_prune(retention_input(read_store_report(store.dir())), keep,
                                   read_revision_link_at(store.store(), store.dir(), kCurrent),
                                   read_revision_link_at(store.store(), store.dir(), kPrevious), clock_now(now));
  // Until the pool is collected, a mark says it must be, so what a killed
  // prune leaves unlinked is collected by the next one, whatever it removes.
  if (!doomed.empty()) write_gc_mark(store.store());
  for (const std::string& r : doomed) {
    // Disappear atomically first; the slow recursive delete happens out of sight.
    std::string trash = r + ".deleted." + random_suffix();
    if (::renameat(store.revisions(), r.c_str(), store.staging(), trash.c_str()) != 0)
      throw SystemError("cannot remove revision " + quote(r), errno);
    fsync_fd(store.revisions(), "revisions directory");
    step(hook, "during-prune");
    remove_tree_at(store.staging(), trash, "removed revision " + quote(r));
  }
  // A walk over the whole pool: only when revisions went, now or in a killed prune.
  struct stat st;
  if (::fstatat(store.store(), kGcPending, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    ObjectPool(store.store()).collect_garbage(hook);
    if (::unlinkat(store.store(), kGcPending, 0) != 0 && errno != ENOENT)
      throw SystemError("cannot remove " + quote(kGcPending), errno);
  }
  return doomed;
}

std::string describe_reuse(const ReuseStats& s) {
  using lpweb::human_bytes;
  return std::to_string(s.files_reused + s.files_written) + " files: " + std::to_string(s.files_reused) + " reused (" +
         human_bytes(s.bytes_reused) + "), " + std::to_string(s.files_written) + " written (" + human_bytes(s.bytes_written) +
         "); variants: " + std::to_string(s.variants_reused) + " reused, " + std::to_string(s.variants_computed) +
         " computed";
}

lpweb::Error store_error(const std::string& what) { return lpweb::system_error("store error: " + what); }

// Caller holds the lock. Throws SystemError.
StoreResult deploy_locked(LockedStore& store, int bundle_fd, const DeployOptions& options) {
  StoreChange result;
  std::string stage_name = "tmp." + random_suffix();
  UniqueFd stage = ensure_dir_at(store.staging(), stage_name, "staging directory");
  // Whatever happens below, a failed deploy leaves no staging behind.
  struct Cleanup {
    int staging;
    std::string name;
    bool armed = true;
    ~Cleanup() {
      if (!armed) return;
      try {
        remove_tree_at(staging, name, "staging directory");
      } catch (...) {
        // The next writer removes leftovers.
      }
    }
  } cleanup{store.staging(), stage_name};

  UniqueFd files = ensure_dir_at(stage.get(), kFiles, "staged files directory");
  ObjectPool pool(store.store());
  ReuseHook reuse = [&pool](const Sha256& sha, std::uint64_t size, int dirfd, const std::string& name) {
    return pool.link_object(sha, size, dirfd, name);
  };
  lpweb::Result<Bundle> read = read_bundle(bundle_fd, options.bundle, files.get(), reuse);
  if (!read) {
    if (read.error().kind == lpweb::Error::Kind::system) return store_error(read.error().what());
    return read.error();
  }
  Bundle& bundle = *read;
  result.revision = bundle.revision;
  step(options.on_step, "after-staging");

  const std::string& rev = bundle.revision;
  std::vector<Adoption> adoptions;
  if (revision_exists(store.revisions(), rev)) {
    UniqueFd dir = open_dir_at(store.revisions(), rev, "revision " + quote(rev));
    lpweb::Result<std::string> existing = read_file_at(dir.get(), kSums, kMaxSumsFileBytes);
    if (!existing)
      throw SystemError("revision " + quote(rev) + " in the store is damaged (" + existing.error().message + ")", EIO);
    if (*existing != bundle.sums)
      return lpweb::rejected(kSums, "revision " + quote(rev) +
                                        " is already in the store with different content; publish it under a new "
                                        "revision id");
    result.unchanged = true;
  } else {
    link_written_duplicates(stage.get(), files.get(), bundle, pool);
    BuiltRevision built = build_entries(files.get(), bundle, &pool, options.bundle.on_progress);
    result.reuse = reuse_stats(bundle, built);
    std::vector<IndexEntry>& entries = built.entries;
    IndexHeader header;
    header.revision = rev;
    header.deployed = clock_now(options.now);
    header.sums_sha256_hex = to_hex(sha256_of(bundle.sums));
    header.file_count = entries.size();
    for (const IndexEntry& e : entries) header.total_bytes += e.size;
    std::string index = serialize_index(header, std::move(entries));

    write_new_file_at(stage.get(), kRevisionFile, bundle.revision_file, kRevisionFile);
    write_new_file_at(stage.get(), kSums, bundle.sums, kSums);
    if (bundle.signature) write_new_file_at(stage.get(), kSignature, *bundle.signature, kSignature);
    write_new_file_at(stage.get(), kIndex, index, kIndex);
    set_directory_mtimes(files.get(), bundle);
    // One syncfs instead of an fsync per file and directory (thousands, the bulk of a
    // deploy's wall time); `stage` was opened before any write, so it reports their errors.
    sync_filesystem_of(stage.get(), "staged revision " + quote(rev));
    step(options.on_step, "after-flush");
    step(options.on_step, "before-rename");
    // "activating" names the revision this deploy will make current, so a
    // writer killed between the rename and the flip is finished by the next
    // one (LockedStore::clean_leftovers) rather than left live but not current.
    if (options.activate) write_revision_link(store.store(), kActivating, rev, {});
    if (::renameat(store.staging(), stage_name.c_str(), store.revisions(), rev.c_str()) != 0)
      throw SystemError("cannot move revision " + quote(rev) + " into place", errno);
    cleanup.armed = false;
    fsync_fd(store.revisions(), "revisions directory");
    fsync_fd(store.staging(), "staging directory");
    step(options.on_step, "after-rename");
    adoptions = std::move(built.adoptions);
  }

  // A revision already in the store is made current again only when the caller
  // says so: `lpicing deploy` does, a drop never does (rollback is an operator's act).
  if (options.activate && (!result.unchanged || options.activate_existing)) {
    StoreResult a = activate_locked(store, rev, options.on_step);
    if (!a) return a;
  }
  if (::unlinkat(store.store(), kActivating, 0) != 0 && errno != ENOENT)
    throw SystemError("cannot remove link \"activating\"", errno);
  // The revision is live; pooling what it wrote is bookkeeping for the next deploy.
  adopt_objects(pool, files.get(), adoptions, options.on_step);
  if (options.keep) result.pruned = prune_locked(store, *options.keep, options.now, options.on_step);
  return result;
}

// ---- The public operations ----

StoreResult deploy_bundle(const std::string& store_dir, int bundle_fd, const DeployOptions& options) {
  return guarded([&] {
    LockedStore store;
    store.open(store_dir, true, true);
    return deploy_locked(store, bundle_fd, options);
  });
}

StoreResult deploy_bundle(const std::string& store_dir, const std::string& bundle_path,
                          const DeployOptions& options) {
  lpweb::Result<UniqueFd> fd = open_bundle(bundle_path);
  if (!fd) return fd.error();
  return deploy_bundle(store_dir, fd->get(), options);
}

StoreResult activate_revision(const std::string& store_dir, const std::string& revision,
                              const StepHook& on_step) {
  return guarded([&] {
    LockedStore store;
    store.open(store_dir, false, true);
    return activate_locked(store, revision, on_step);
  });
}

StoreResult prune_store(const std::string& store_dir, std::size_t keep, std::int64_t now,
                        const StepHook& on_step, PruneMode mode) {
  return guarded([&] {
    if (mode == PruneMode::dry_run) {
      StoreChange r;
      r.pruned = prune_preview(store_dir, keep, clock_now(now));
      return StoreResult(std::move(r));
    }
    LockedStore store;
    store.open(store_dir, false, true);
    StoreChange r;
    r.pruned = prune_locked(store, keep, now, on_step);
    return StoreResult(std::move(r));
  });
}

std::vector<RevisionInfo> retention_input(const StoreReport& report) {
  std::vector<RevisionInfo> out;
  for (const RevisionReport& r : report.revisions) out.push_back({r.revision, r.header.deployed});
  // A revision whose INDEX is unreadable is still a revision: its directory's mtime stands in.
  for (const RevisionError& e : report.errors)
    if (e.is_revision) out.push_back({e.revision, e.mtime});
  return out;
}

std::vector<std::string> revisions_to_prune(const std::vector<RevisionInfo>& revisions,
                                            std::size_t keep, const std::string& current,
                                            const std::string& previous, std::int64_t now) {
  std::vector<const RevisionInfo*> order;
  for (const RevisionInfo& r : revisions) order.push_back(&r);
  std::sort(order.begin(), order.end(), [](const RevisionInfo* a, const RevisionInfo* b) {
    return a->deployed != b->deployed ? a->deployed > b->deployed : a->revision > b->revision;
  });
  std::vector<std::string> doomed;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const RevisionInfo& r = *order[i];
    bool kept = i < keep || r.revision == current || r.revision == previous ||
                r.deployed > now - kPruneGraceSeconds;
    if (!kept) doomed.push_back(r.revision);
  }
  std::sort(doomed.begin(), doomed.end());
  return doomed;
}

}  // namespace lpicing
