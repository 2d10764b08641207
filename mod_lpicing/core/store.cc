// The store's writers. Each change is staged under STORE/staging and made visible by a
// single rename (a revision) or a symlink+rename (current/previous), all under
// STORE/.lock, so readers see a revision complete or not at all.
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <set>
#include <stdexcept>

#include "crypto.h"
#include "fsutil.h"
#include "index.h"
#include "parallel.h"
#include "precompress.h"

namespace lpicing {

namespace {

constexpr char kRevisionsDir[] = "revisions";
constexpr char kPendingLink[] = "previous.pending";  // see activate_locked
constexpr char kStagingDir[] = "staging";
constexpr char kFilesDir[] = "files";
constexpr char kIndexName[] = "INDEX";
constexpr std::size_t kMaxNameBytes = 255;  // a file name on Linux filesystems, and a bundle name component

std::int64_t clock_now(std::int64_t now) { return now ? now : static_cast<std::int64_t>(::time(nullptr)); }

void step(const StepHook& hook, const char* name) {
  if (hook) hook(name);
}

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// An open store with its writer lock held; the lock goes when the object does.
class LockedStore {
 public:
  // Opens (creating when `create`) the store and takes .lock. With `wait` false,
  // returns false when another writer holds it. Throws SystemError.
  bool open(const std::string& dir, bool create, bool wait) {
    dir_ = dir;
    if (create && ::mkdir(dir.c_str(), 0755) == 0) {
      UniqueFd fd = open_dir_at(AT_FDCWD, dir, "store " + quote(dir));
      if (::fchmod(fd.get(), 0755) != 0) throw SystemError("cannot chmod store " + quote(dir), errno);
    }
    store_ = open_dir_at(AT_FDCWD, dir, "store " + quote(dir));
    lock_.reset(::openat(store_.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!lock_) throw SystemError("cannot open lock file " + quote(dir + "/.lock"), errno);
    for (;;) {
      if (::flock(lock_.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) break;
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK && !wait) return false;
      throw SystemError("cannot lock " + quote(dir + "/.lock"), errno);
    }
    revisions_ = ensure_dir_at(store_.get(), kRevisionsDir, "revisions directory");
    staging_ = ensure_dir_at(store_.get(), kStagingDir, "staging directory");
    clean_leftovers();
    return true;
  }

  int store() const { return store_.get(); }
  int revisions() const { return revisions_.get(); }
  int staging() const { return staging_.get(); }

 private:
  // A writer that died mid-change leaves staging entries and link temporaries behind.
  void clean_leftovers() {
    for (const std::string& n : list_dir(staging_.get(), "staging directory"))
      remove_tree_at(staging_.get(), n, "staging leftover " + quote(n));
    for (const std::string& n : list_dir(store_.get(), "store"))
      if (starts_with(n, "current.tmp.") || starts_with(n, "previous.tmp.") || starts_with(n, "previous.pending.tmp."))
        if (::unlinkat(store_.get(), n.c_str(), 0) != 0 && errno != ENOENT)
          throw SystemError("cannot remove leftover " + quote(n), errno);
    finish_activation();
  }

  // An activate killed after recording previous.pending: if current already
  // flipped, pending is the real previous revision; if not, it is current.
  void finish_activation() {
    char pending[512], cur[512];
    ssize_t p = ::readlinkat(store_.get(), kPendingLink, pending, sizeof pending);
    if (p < 0) return;
    ssize_t c = ::readlinkat(store_.get(), "current", cur, sizeof cur);
    bool flipped = !(c == p && std::memcmp(cur, pending, static_cast<std::size_t>(p)) == 0);
    int rc = flipped ? ::renameat(store_.get(), kPendingLink, store_.get(), "previous")
                     : ::unlinkat(store_.get(), kPendingLink, 0);
    if (rc != 0 && errno != ENOENT) throw SystemError("cannot finish an interrupted activation", errno);
  }

  std::string dir_;
  UniqueFd store_, lock_, revisions_, staging_;
};

// The revision a store link points at, or "" when absent or not of the form revisions/R.
std::string read_revision_link(int storefd, const char* name) {
  char buf[512];
  ssize_t n = ::readlinkat(storefd, name, buf, sizeof buf - 1);
  if (n < 0) return "";
  std::string target(buf, static_cast<std::size_t>(n));
  std::string prefix = std::string(kRevisionsDir) + "/";
  if (!starts_with(target, prefix.c_str())) return "";
  std::string r = target.substr(prefix.size());
  return is_valid_revision_id(r) ? r : "";
}

void write_revision_link(int storefd, const std::string& name, const std::string& revision,
                         const StepHook& hook) {
  std::string tmp = name + ".tmp." + std::to_string(::getpid());
  ::unlinkat(storefd, tmp.c_str(), 0);
  std::string target = std::string(kRevisionsDir) + "/" + revision;
  if (::symlinkat(target.c_str(), storefd, tmp.c_str()) != 0)
    throw SystemError("cannot create link " + quote(tmp), errno);
  if (name == "current") step(hook, "during-activate");
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

// Caller holds the lock. Throws SystemError.
StoreResult activate_locked(LockedStore& store, const std::string& revision, const StepHook& hook) {
  StoreResult result;
  result.revision = revision;
  if (!is_valid_revision_id(revision) || !revision_exists(store.revisions(), revision)) {
    result.status = StoreStatus::rejected;
    result.message = "revision " + quote(revision) + " is not in the store";
    return result;
  }
  std::string old = read_revision_link(store.store(), "current");
  if (old == revision) return result;
  // previous.pending records the revision being replaced before current
  // flips, so a kill at any point loses neither pin (invariant 5); the next
  // writer finishes the job (finish_activation).
  if (!old.empty()) write_revision_link(store.store(), kPendingLink, old, hook);
  write_revision_link(store.store(), "current", revision, hook);
  if (!old.empty() && ::renameat(store.store(), kPendingLink, store.store(), "previous") != 0)
    throw SystemError("cannot replace link \"previous\"", errno);
  fsync_fd(store.store(), "store directory");
  return result;
}

RevisionInfo read_revision_info(int revisionsfd, const std::string& revision,
                                const std::string& revisions_path) {
  RevisionInfo info;
  info.revision = revision;
  std::string error;
  auto index = RevisionIndex::load(revisions_path + "/" + revision + "/" + kIndexName, &error);
  if (index) {
    const IndexHeader& h = index->header();
    info.deployed = h.deployed;
    info.file_count = h.file_count;
    info.total_bytes = h.total_bytes;
    info.sums_sha256_hex = h.sums_sha256_hex;
    info.index_ok = true;
  } else {
    struct stat st;
    if (::fstatat(revisionsfd, revision.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      info.deployed = st.st_mtime;
  }
  return info;
}

std::vector<RevisionInfo> read_all_revisions(int revisionsfd, const std::string& revisions_path) {
  std::vector<RevisionInfo> out;
  for (const std::string& n : list_dir(revisionsfd, "revisions directory")) {
    if (!is_valid_revision_id(n) || !revision_exists(revisionsfd, n)) continue;
    out.push_back(read_revision_info(revisionsfd, n, revisions_path));
  }
  std::sort(out.begin(), out.end(), [](const RevisionInfo& a, const RevisionInfo& b) {
    return a.deployed != b.deployed ? a.deployed > b.deployed : a.revision < b.revision;
  });
  return out;
}

// Caller holds the lock. Throws SystemError.
std::vector<std::string> prune_locked(LockedStore& store, const std::string& store_dir,
                                      std::size_t keep, std::int64_t now, const StepHook& hook) {
  auto revisions = read_all_revisions(store.revisions(), store_dir + "/" + kRevisionsDir);
  auto doomed = revisions_to_prune(revisions, keep, read_revision_link(store.store(), "current"),
                                   read_revision_link(store.store(), "previous"), clock_now(now));
  for (const std::string& r : doomed) {
    // Disappear atomically first; the slow recursive delete happens out of sight.
    std::string trash = r + ".deleted." + random_suffix();
    if (::renameat(store.revisions(), r.c_str(), store.staging(), trash.c_str()) != 0)
      throw SystemError("cannot remove revision " + quote(r), errno);
    fsync_fd(store.revisions(), "revisions directory");
    step(hook, "during-prune");
    remove_tree_at(store.staging(), trash, "removed revision " + quote(r));
  }
  return doomed;
}

bool is_hidden(const std::string& path) {
  if (!path.empty() && path[0] == '.') return true;
  return path.find("/.") != std::string::npos;
}

UniqueFd open_parent(int filesfd, const std::string& path) {
  UniqueFd cur(::fcntl(filesfd, F_DUPFD_CLOEXEC, 0));
  if (!cur) throw SystemError("cannot open staged files", errno);
  std::size_t start = 0, slash;
  while ((slash = path.find('/', start)) != std::string::npos) {
    cur = open_dir_at(cur.get(), path.substr(start, slash - start),
                      "staged directory " + quote(path.substr(0, slash)));
    start = slash + 1;
  }
  return cur;
}

std::string base_name(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Not flushed here: deploy_locked flushes the whole staged revision once.
void write_variant(int parentfd, const std::string& path, const std::string& data,
                   std::int64_t mtime) {
  std::string what = "variant " + quote(path);
  UniqueFd fd(::openat(parentfd, base_name(path).c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw SystemError("cannot create " + what, errno);
  if (::fchmod(fd.get(), 0644) != 0) throw SystemError("cannot chmod " + what, errno);
  write_all(fd.get(), data.data(), data.size(), what);
  struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  if (::futimens(fd.get(), times) != 0) throw SystemError("cannot set mtime of " + what, errno);
}

constexpr Encoding kVariantEncodings[] = {Encoding::br, Encoding::gzip};  // INDEX order

// One served file's INDEX entry in the making: variants shipped in the bundle, and
// which ones to compute at deploy time.
struct EntryPlan {
  IndexEntry entry;
  std::optional<Variant> variants[2];  // by kVariantEncodings
  bool compress[2] = {false, false};
};

// Reads the staged file once and writes the variants its plan asks for. Runs on a
// worker thread: touches only its own plan. Throws, naming the file.
void precompress_entry(int filesfd, EntryPlan& plan) {
  const std::string& path = plan.entry.path;
  try {
    UniqueFd parent = open_parent(filesfd, path);
    std::string content, error;
    if (!read_file_at(parent.get(), base_name(path), kMaxPrecompressBytes, &content, &error))
      throw SystemError("cannot read staged " + quote(path) + " (" + error + ")", EIO);
    for (std::size_t k = 0; k < 2; ++k) {
      if (!plan.compress[k]) continue;
      Encoding enc = kVariantEncodings[k];
      auto compressed = enc == Encoding::br ? brotli_compress(content, is_font(path))
                                            : gzip_compress(content);
      if (!compressed || !variant_worth_keeping(plan.entry.size, compressed->size())) continue;
      write_variant(parent.get(), path + (enc == Encoding::br ? ".br" : ".gz"), *compressed,
                    plan.entry.mtime);
      plan.variants[k] = Variant{enc, compressed->size(), sha256_of(*compressed)};
    }
  } catch (const SystemError&) {
    throw;  // already names the file
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot precompress " + quote(path) + ": " + e.what());
  }
}

// Builds the INDEX entries, writing deploy-time variants, brotli 11 on every core.
// Throws SystemError or std::runtime_error naming the file.
std::vector<IndexEntry> build_entries(int filesfd, const Bundle& bundle) {
  std::set<std::string> taken;  // every name in files/: a variant must not collide
  std::map<std::string, const BundleFile*> by_path;
  for (const BundleFile& f : bundle.files) {
    by_path[f.path] = &f;
    taken.insert(f.path);
    for (std::size_t s = f.path.find('/'); s != std::string::npos; s = f.path.find('/', s + 1))
      taken.insert(f.path.substr(0, s));
  }
  for (const BundleDirectory& d : bundle.directories) taken.insert(d.path);

  std::vector<EntryPlan> plans;
  std::vector<std::size_t> to_compress;  // indexes into plans
  for (const BundleFile& f : bundle.files) {
    if (is_hidden(f.path)) continue;  // never served, so not indexed
    EntryPlan plan;
    plan.entry.path = f.path;
    plan.entry.size = f.size;
    plan.entry.sha256 = f.sha256;
    plan.entry.mtime = f.mtime;
    for (std::size_t k = 0; k < 2; ++k) {
      Encoding enc = kVariantEncodings[k];
      std::string variant_path = f.path + (enc == Encoding::br ? ".br" : ".gz");
      auto shipped = by_path.find(variant_path);
      if (shipped != by_path.end()) {
        plan.variants[k] = Variant{enc, shipped->second->size, shipped->second->sha256};
        continue;
      }
      // A name of 253-255 bytes leaves no room for ".br"/".gz" (NAME_MAX): no variant then.
      plan.compress[k] = !taken.count(variant_path) && is_precompressible(f.path) &&
                         base_name(variant_path).size() <= kMaxNameBytes &&
                         f.size >= kMinPrecompressBytes && f.size <= kMaxPrecompressBytes;
    }
    if (plan.compress[0] || plan.compress[1]) to_compress.push_back(plans.size());
    plans.push_back(std::move(plan));
  }

  // Each file's variants depend only on its bytes, so the output is the same whatever
  // the thread count or order.
  run_parallel(to_compress.size(), precompress_thread_count(),
               [&](std::size_t i) { precompress_entry(filesfd, plans[to_compress[i]]); });

  std::vector<IndexEntry> entries;
  entries.reserve(plans.size());
  for (EntryPlan& plan : plans) {
    for (auto& v : plan.variants)
      if (v) plan.entry.variants.push_back(*v);
    entries.push_back(std::move(plan.entry));
  }
  return entries;
}

void set_directory_mtimes(int filesfd, const Bundle& bundle) {
  // Deepest first, so setting a child's time does not disturb its parent's afterwards.
  std::vector<const BundleDirectory*> dirs;
  for (const BundleDirectory& d : bundle.directories) dirs.push_back(&d);
  std::sort(dirs.begin(), dirs.end(), [](const BundleDirectory* a, const BundleDirectory* b) {
    return a->path > b->path;
  });
  for (const BundleDirectory* d : dirs) {
    UniqueFd parent = open_parent(filesfd, d->path);
    UniqueFd dir = open_dir_at(parent.get(), base_name(d->path), "staged directory " + quote(d->path));
    struct timespec times[2] = {{d->mtime, 0}, {d->mtime, 0}};
    if (::futimens(dir.get(), times) != 0)
      throw SystemError("cannot set mtime of " + quote(d->path), errno);
  }
}

StoreResult store_error(const std::string& what) {
  StoreResult r;
  r.status = StoreStatus::store_error;
  r.message = "store error: " + what;
  return r;
}

// Caller holds the lock. Throws SystemError.
StoreResult deploy_locked(LockedStore& store, const std::string& store_dir,
                          const std::string& bundle_path, const DeployOptions& options) {
  StoreResult result;
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

  UniqueFd files = ensure_dir_at(stage.get(), kFilesDir, "staged files directory");
  Bundle bundle;
  auto err = read_bundle(bundle_path, options.bundle, files.get(), &bundle);
  result.revision = bundle.revision;
  if (err) {
    if (err->kind == BundleError::Kind::system) return store_error(err->message());
    result.status = StoreStatus::rejected;
    result.message = "rejected bundle " + quote(bundle_path) + ": " + err->message();
    result.bundle_error = std::move(err);
    return result;
  }
  step(options.on_step, "after-staging");

  const std::string& rev = bundle.revision;
  if (revision_exists(store.revisions(), rev)) {
    std::string existing, error;
    UniqueFd dir = open_dir_at(store.revisions(), rev, "revision " + quote(rev));
    if (!read_file_at(dir.get(), "SHA256SUMS", kMaxSumsFileBytes, &existing, &error))
      throw SystemError("revision " + quote(rev) + " in the store is damaged (" + error + ")", EIO);
    if (existing != bundle.sums) {
      result.status = StoreStatus::rejected;
      result.message = "rejected bundle " + quote(bundle_path) + ": revision " + quote(rev) +
                       " is already in the store with different content (SHA256SUMS differs); "
                       "publish it under a new revision id";
      result.bundle_error = BundleError{BundleError::Kind::rejected, "SHA256SUMS",
                                        "revision " + quote(rev) +
                                            " is already in the store with different content"};
      return result;
    }
    result.unchanged = true;
  } else {
    std::vector<IndexEntry> entries = build_entries(files.get(), bundle);
    IndexHeader header;
    header.revision = rev;
    header.deployed = clock_now(options.now);
    header.sums_sha256_hex = to_hex(sha256_of(bundle.sums));
    header.file_count = entries.size();
    for (const IndexEntry& e : entries) header.total_bytes += e.size;
    std::string index = serialize_index(header, std::move(entries));

    write_new_file_at(stage.get(), "REVISION", bundle.revision_file, "REVISION");
    write_new_file_at(stage.get(), "SHA256SUMS", bundle.sums, "SHA256SUMS");
    if (bundle.signature)
      write_new_file_at(stage.get(), "SHA256SUMS.sig", *bundle.signature, "SHA256SUMS.sig");
    write_new_file_at(stage.get(), kIndexName, index, "INDEX");
    set_directory_mtimes(files.get(), bundle);
    // One syncfs instead of an fsync per file and directory (thousands, the bulk of a
    // deploy's wall time); `stage` was opened before any write, so it reports their errors.
    sync_filesystem_of(stage.get(), "staged revision " + quote(rev));
    step(options.on_step, "after-flush");
    step(options.on_step, "before-rename");
    if (::renameat(store.staging(), stage_name.c_str(), store.revisions(), rev.c_str()) != 0)
      throw SystemError("cannot move revision " + quote(rev) + " into place", errno);
    cleanup.armed = false;
    fsync_fd(store.revisions(), "revisions directory");
    fsync_fd(store.staging(), "staging directory");
    step(options.on_step, "after-rename");
  }

  if (options.activate) {
    StoreResult a = activate_locked(store, rev, options.on_step);
    if (a.status != StoreStatus::ok) return a;
  }
  if (options.keep) result.pruned = prune_locked(store, store_dir, *options.keep, options.now, options.on_step);
  return result;
}

template <typename F>
StoreResult guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return store_error(e.what());
  }
}

void write_reason_file(int dirfd, const std::string& name, const std::string& text) {
  std::string tmp = "." + name + ".tmp";
  ::unlinkat(dirfd, tmp.c_str(), 0);
  write_new_file_at(dirfd, tmp, text + "\n", quote(name));
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0)
    throw SystemError("cannot write " + quote(name), errno);
}

}  // namespace

int exit_code(StoreStatus status) {
  switch (status) {
    case StoreStatus::ok: return 0;
    case StoreStatus::rejected: return 2;
    case StoreStatus::store_error: return 3;
  }
  return 3;
}

StoreResult deploy_bundle(const std::string& store_dir, const std::string& bundle_path,
                          const DeployOptions& options) {
  return guarded([&] {
    LockedStore store;
    store.open(store_dir, true, true);
    return deploy_locked(store, store_dir, bundle_path, options);
  });
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
                        const StepHook& on_step) {
  return guarded([&] {
    LockedStore store;
    store.open(store_dir, false, true);
    StoreResult r;
    r.pruned = prune_locked(store, store_dir, keep, now, on_step);
    return r;
  });
}

bool list_store(const std::string& store_dir, StoreListing* out, std::string* error) {
  try {
    *out = StoreListing();
    UniqueFd store = open_dir_at(AT_FDCWD, store_dir, "store " + quote(store_dir));
    out->current = read_revision_link(store.get(), "current");
    out->previous = read_revision_link(store.get(), "previous");
    UniqueFd revisions = open_dir_if_exists(store.get(), kRevisionsDir, "revisions directory");
    if (revisions)
      out->revisions = read_all_revisions(revisions.get(), store_dir + "/" + kRevisionsDir);
    return true;
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
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

IngestReport ingest_incoming(const IngestOptions& options,
                             const std::function<void(const std::string&)>& log) {
  IngestReport report;
  auto fail = [&](const std::string& message) {
    report.status = StoreStatus::store_error;
    report.message = message;
    log("LPI0102: " + message);
  };
  try {
    UniqueFd incoming = open_dir_at(AT_FDCWD, options.incoming_dir,
                                    "incoming directory " + quote(options.incoming_dir));
    struct Candidate {
      std::string name;
      struct timespec mtime;
    };
    std::vector<Candidate> candidates;
    for (const std::string& n : list_dir(incoming.get(), "incoming directory")) {
      if (n[0] == '.' || ends_with(n, ".part") || ends_with(n, ".tmp")) continue;
      struct stat st;
      if (::fstatat(incoming.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        continue;
      candidates.push_back(Candidate{n, st.st_mtim});
    }
    if (candidates.empty()) return report;
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
      if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec < b.mtime.tv_nsec;
      return a.name < b.name;
    });

    LockedStore store;
    // Spawned once a second: when another writer is busy, the next run will do it.
    if (!store.open(options.store_dir, true, false)) {
      report.busy = true;
      return report;
    }
    DeployOptions deploy = options.deploy;
    deploy.activate = true;
    deploy.keep.reset();
    for (const Candidate& c : candidates) {
      std::string path = options.incoming_dir + "/" + c.name;
      StoreResult r;
      try {
        r = deploy_locked(store, options.store_dir, path, deploy);
      } catch (const std::exception& e) {
        r = store_error(e.what());
      }
      if (r.status == StoreStatus::store_error) {
        fail("cannot deploy bundle " + quote(c.name) + ": " + r.message + " (left in place)");
        return report;
      }
      if (r.status == StoreStatus::ok) {
        if (::unlinkat(incoming.get(), c.name.c_str(), 0) != 0 && errno != ENOENT)
          throw SystemError("cannot remove deployed bundle " + quote(c.name), errno);
        report.deployed.push_back(c.name);
        log("LPI0100: deployed bundle " + quote(c.name) + " as revision " + quote(r.revision) +
            (r.unchanged ? " (already in the store, unchanged)" : "") + ", now current");
        continue;
      }
      std::string reason = r.bundle_error ? r.bundle_error->message() : r.message;
      UniqueFd rejected_dir = ensure_dir_at(incoming.get(), "rejected", "rejected directory");
      if (::renameat(incoming.get(), c.name.c_str(), rejected_dir.get(), c.name.c_str()) != 0)
        throw SystemError("cannot move rejected bundle " + quote(c.name), errno);
      write_reason_file(rejected_dir.get(), c.name + ".reason", reason);
      report.rejected.push_back(c.name);
      if (report.status == StoreStatus::ok) report.status = StoreStatus::rejected;
      log("LPI0101: rejected bundle " + quote(c.name) + ": " + reason + " (moved to rejected/)");
    }
    if (!report.deployed.empty()) {
      std::size_t keep = options.deploy.keep.value_or(kDefaultIngestKeep);
      auto pruned = prune_locked(store, options.store_dir, keep, options.deploy.now, options.deploy.on_step);
      for (const std::string& r : pruned) log("LPI0103: pruned revision " + quote(r));
    }
  } catch (const std::exception& e) {
    fail(std::string("store error: ") + e.what());
  }
  return report;
}

}  // namespace lpicing
