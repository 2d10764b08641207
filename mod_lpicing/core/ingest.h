// The drop directory: `lpicing ingest`, which the watcher runs as the deploy
// user whenever a bundle lands. Whoever can write the drop directory is not
// trusted: each bundle is opened once, relative to the directory, never
// through a link, never blocking, and checked to be the file the scan saw;
// a drop never makes an older revision current again. Every outcome goes to
// the store's drop journal (journal.h), where the watcher finds it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store.h"

namespace lpicing {

inline constexpr std::size_t kDefaultIngestKeep = 5;

// A drop-directory name that is ready to deploy: not starting with '.', not
// "rejected", not ending in ".part" or ".tmp" (copy as NAME.part, then
// rename to NAME).
bool is_ready_bundle_name(std::string_view name);
// Whether `incoming_dir` holds a ready name that is a regular file (by
// lstat: nothing is opened). One readdir: cheap enough for every tick.
bool has_ready_bundle(const std::string& incoming_dir);

struct IngestOptions {
  std::string incoming_dir;
  std::string store_dir;
  DeployOptions deploy;  // activate is forced on and activate_existing off; keep defaults to kDefaultIngestKeep
};

struct IngestReport {
  lpweb::Status outcome;              // the first rejection, or the store error, which wins
  bool busy = false;                  // another writer holds the store; nothing done
  std::vector<std::string> deployed;  // incoming file names, unchanged ones included
  std::vector<std::string> rejected;  // rejected or skipped
};

// Deploys each ready bundle of the drop directory, oldest first. A deployed
// (or already present) one is removed; a rejected one moves to rejected/NAME
// with rejected/NAME.reason, or, when rejected/ is not a directory of the
// deploy user's, is renamed .rejected.NAME (never tried again) with
// .rejected.NAME.reason; one that changed between the scan and the open (a
// link, a FIFO, another file) is skipped and left alone. A store error leaves
// the bundle in place and stops. `log` gets one line per outcome.
IngestReport ingest_incoming(const IngestOptions& options, const std::function<void(const std::string&)>& log);

}  // namespace lpicing
