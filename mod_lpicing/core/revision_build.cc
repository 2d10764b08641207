// Building a staged revision's tree after the bundle reader wrote its files:
// deploy-time precompression (brotli 11 and gzip 9 on every core), the INDEX
// entries, and the directories' mtimes. Part of the store module.
#include "revision_build.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "crypto.h"
#include "fsutil.h"
#include "parallel.h"
#include "precompress.h"

namespace lpicing {
namespace {

constexpr std::size_t kMaxNameBytes = 255;  // a file name on Linux filesystems, and a bundle name component

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
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
  if (!fd) throw SystemError("cannot create " + what, errno);
  write_all(fd.get(), data.data(), data.size(), what);
  struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  if (::futimens(fd.get(), times) != 0) throw SystemError("cannot set mtime of " + what, errno);
  if (::fchmod(fd.get(), 0444) != 0) throw SystemError("cannot chmod " + what, errno);
}

constexpr Encoding kVariantEncodings[] = {Encoding::br, Encoding::gzip};  // INDEX order

// One served file's INDEX entry in the making: variants shipped in the bundle, and
// which ones to compute at deploy time.
struct EntryPlan {
  IndexEntry entry;
  std::optional<Variant> variants[2];  // by kVariantEncodings
  bool compress[2] = {false, false};
  bool not_worth[2] = {false, false};  // computed, and too little saved to keep
};

// Reads the staged file once and writes the variants its plan asks for. Runs on a
// worker thread: touches only its own plan. Throws, naming the file.
void precompress_entry(int filesfd, EntryPlan& plan) {
  const std::string& path = plan.entry.path;
  try {
    UniqueFd parent = open_parent(filesfd, path);
    lpweb::Result<std::string> read = read_file_at(parent.get(), base_name(path), kMaxPrecompressBytes);
    if (!read) throw SystemError("cannot read staged " + quote(path) + " (" + read.error().message + ")", EIO);
    const std::string& content = *read;
    for (std::size_t k = 0; k < 2; ++k) {
      if (!plan.compress[k]) continue;
      Encoding enc = kVariantEncodings[k];
      auto compressed = enc == Encoding::br ? brotli_compress(content, is_font(path))
                                            : gzip_compress(content);
      if (!compressed) continue;
      if (!variant_worth_keeping(plan.entry.size, compressed->size())) {
        plan.not_worth[k] = true;
        continue;
      }
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

std::string variant_name(const std::string& path, Encoding enc) { return path + (enc == Encoding::br ? ".br" : ".gz"); }

// Links the variants `pool` holds for `plan`'s file; what is left to compute stays in plan.compress.
std::size_t link_known_variants(int filesfd, EntryPlan& plan, ObjectPool& pool) {
  std::size_t linked = 0;
  UniqueFd parent;
  for (std::size_t k = 0; k < 2; ++k) {
    if (!plan.compress[k]) continue;
    if (!parent) parent = open_parent(filesfd, plan.entry.path);
    Encoding enc = kVariantEncodings[k];
    Variant v;
    switch (pool.link_variant(plan.entry.sha256, variant_kind(enc, plan.entry.path), parent.get(),
                              base_name(variant_name(plan.entry.path, enc)), &v)) {
      case VariantState::present:
        plan.variants[k] = v;
        plan.compress[k] = false;
        ++linked;
        break;
      case VariantState::absent_not_worth:
        plan.compress[k] = false;
        break;
      case VariantState::unknown:
        break;
    }
  }
  return linked;
}

}  // namespace

VariantKind variant_kind(Encoding encoding, const std::string& path) {
  if (encoding == Encoding::gzip) return VariantKind::gzip;
  return is_font(path) ? VariantKind::br_font : VariantKind::br_text;
}

BuiltRevision build_entries(int filesfd, const Bundle& bundle, ObjectPool* pool, const ProgressHook& on_progress) {
  BuiltRevision built;
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
    if (pool && (plan.compress[0] || plan.compress[1])) built.variants_reused += link_known_variants(filesfd, plan, *pool);
    if (plan.compress[0] || plan.compress[1]) to_compress.push_back(plans.size());
    plans.push_back(std::move(plan));
  }

  // The hook runs under a lock, so whoever displays progress needs no locking of its own.
  std::mutex progress_mutex;
  DeployProgress progress;
  progress.phase = DeployProgress::Phase::precompressing;
  progress.total = to_compress.size();
  if (on_progress && progress.total) on_progress(progress);
  // Each file's variants depend only on its bytes, so the output is the same whatever
  // the thread count or order.
  run_parallel(to_compress.size(), precompress_thread_count(), [&](std::size_t i) {
    precompress_entry(filesfd, plans[to_compress[i]]);
    if (!on_progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    ++progress.done;
    on_progress(progress);
  });

  for (const BundleFile& f : bundle.files)
    if (!f.reused) built.adoptions.push_back(Adoption{f.path, f.sha256, std::nullopt});
  for (std::size_t i : to_compress) {
    const EntryPlan& plan = plans[i];
    for (std::size_t k = 0; k < 2; ++k) {
      if (!plan.compress[k]) continue;
      VariantKind kind = variant_kind(kVariantEncodings[k], plan.entry.path);
      if (plan.variants[k]) {
        ++built.variants_computed;
        built.adoptions.push_back(Adoption{variant_name(plan.entry.path, kVariantEncodings[k]), plan.entry.sha256, kind});
      } else if (plan.not_worth[k]) {
        built.adoptions.push_back(Adoption{"", plan.entry.sha256, kind});
      }
    }
  }
  built.entries.reserve(plans.size());
  for (EntryPlan& plan : plans) {
    for (auto& v : plan.variants)
      if (v) plan.entry.variants.push_back(*v);
    built.entries.push_back(std::move(plan.entry));
  }
  return built;
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

}  // namespace lpicing
