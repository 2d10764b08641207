// The revision store (layout in docs/ARCHITECTURE.md): deploy a bundle as a complete
// revision, flip `current` atomically, list and prune revisions (the drop
// directory's ingest is in ingest.h). Used by the lpicing tool; never by the request-serving httpd children.
// None of these functions throws: failures come back as the StoreResult's Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bundle.h"
#include "store_report.h"

namespace lpicing {

// Called at named steps of a store change: `after-staging`, `after-flush`,
// `before-rename`, `after-rename`, `during-activate`, `during-adopt`,
// `during-prune`, `during-gc`. The tool uses it
// to inject crashes (LPICING_FAULT); tests may record the steps.
using StepHook = std::function<void(const char* step)>;

inline constexpr std::int64_t kPruneGraceSeconds = 3600;

// What a store operation changed. Its failure is an lpweb::Error: rejected
// (a bad bundle, naming the entry at fault; a revision not in the store) or
// system ("store error: ...").
// What a deploy took from the store's object pool (objects.h) and what it
// wrote anew: asset files (with their bytes), and deploy-time variants.
struct ReuseStats {
  std::size_t files_reused = 0, files_written = 0;
  std::uint64_t bytes_reused = 0, bytes_written = 0;
  std::size_t variants_reused = 0, variants_computed = 0;
};

// "N files: R reused (X MiB), W written (Y MiB); variants: R reused, C computed".
std::string describe_reuse(const ReuseStats& stats);

struct StoreChange {
  std::string revision;    // deploy: the revision id; activate: the revision made current
  bool unchanged = false;  // deploy: the identical revision was already in the store; activate: it was current
  std::vector<std::string> pruned;
  ReuseStats reuse;  // deploy of a new revision
};
using StoreResult = lpweb::Result<StoreChange>;

struct DeployOptions {
  BundleOptions bundle;
  bool activate = true;
  // A revision already in the store (same SHA256SUMS) is made current again
  // when true (`lpicing deploy`); a drop leaves current alone (false).
  bool activate_existing = true;
  std::optional<std::size_t> keep;  // prune to this many after deploying
  std::int64_t now = 0;             // deploy time and prune's clock; 0: the real clock
  StepHook on_step;
};

// Deploys the bundle file into the store (created if missing). Takes STORE/.lock.
StoreResult deploy_bundle(const std::string& store_dir, const std::string& bundle_path,
                          const DeployOptions& options);
// The same for a bundle already open (read from its current offset): the
// tool opens it before giving up root. A rejection names the entry at fault;
// the caller names the bundle.
StoreResult deploy_bundle(const std::string& store_dir, int bundle_fd, const DeployOptions& options);
// Makes `revision` current; `previous` becomes the old current. Rejected when
// the revision is not in the store.
StoreResult activate_revision(const std::string& store_dir, const std::string& revision,
                              const StepHook& on_step = {});
enum class PruneMode { remove, dry_run };
// Removes revisions beyond the `keep` newest, never current, previous or one deployed
// within kPruneGraceSeconds of `now` (0: the real clock). `pruned` names them.
// A dry run takes no lock and changes nothing: `pruned` names what would go.
StoreResult prune_store(const std::string& store_dir, std::size_t keep, std::int64_t now = 0,
                        const StepHook& on_step = {}, PruneMode mode = PruneMode::remove);

// A revision as the retention rule sees it.
struct RevisionInfo {
  std::string revision;
  std::int64_t deployed = 0;  // from INDEX; the directory's mtime if INDEX is unreadable
};
// The revisions of a report (store_report.h) for the retention rule.
std::vector<RevisionInfo> retention_input(const StoreReport& report);

// The retention rule, as a pure function: the revisions to remove, in name order.
std::vector<std::string> revisions_to_prune(const std::vector<RevisionInfo>& revisions,
                                            std::size_t keep, const std::string& current,
                                            const std::string& previous, std::int64_t now);

}  // namespace lpicing
