// The drop directory: `lpicing ingest`, which the watcher runs as the deploy
// user whenever a bundle lands. Whoever can write the drop directory is not
// trusted: each bundle is opened once, relative to the directory, never
// through a link, never blocking, and checked to be the file the scan saw;
// a drop never makes an older revision current again. Every outcome goes to
// the store's drop journal (journal.h), where the watcher finds it.
#pragma once

#include <cstdint>
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
// How many ready names of `incoming_dir` are regular files (by lstat:
// nothing is opened), counting up to `limit`. One readdir: cheap enough for
// every tick. 0 when the directory cannot be read.
std::size_t count_ready_bundles(const std::string& incoming_dir, std::size_t limit = SIZE_MAX);

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

// Journals one `error` record for an ingest that ended without journaling
// its outcome: killed over its time limit, or failed before it could take
// the store lock (so the status page counts it too), provided the journal
// still ends at `journal_seq` (checked under the lock). Does not wait for
// the lock. The new record's seq, 0 when the journal had moved on, or the
// error when the store cannot be locked or written.
lpweb::Result<std::uint64_t> journal_ingest_failure(const std::string& store_dir, const std::string& detail,
                                                    std::int64_t now, std::uint64_t journal_seq);

}  // namespace lpicing
