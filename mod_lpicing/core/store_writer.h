// Inside the store module (store.cc, ingest.cc): the writer's lock and the
// steps that run while it is held. Not for the adapter or the tool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fsutil.h"
#include "store.h"

namespace lpicing {

// An open store with its writer lock held; the lock goes when the object does
// (and with its process: flock, so no writer ever holds it past its life).
class LockedStore {
 public:
  // Opens (creating when `create`) the store and takes .lock, then finishes
  // or cleans up whatever a writer that died left. With `wait` false, returns
  // false when another writer holds the lock. Throws SystemError.
  bool open(const std::string& dir, bool create, bool wait);

  int store() const { return store_.get(); }
  int revisions() const { return revisions_.get(); }
  int staging() const { return staging_.get(); }
  const std::string& dir() const { return dir_; }

 private:
  void clean_leftovers();

  std::string dir_;
  UniqueFd store_, lock_, revisions_, staging_;
};

// A system error from the store, "store error: WHAT".
lpweb::Error store_error(const std::string& what);
// Deploys the bundle open at `bundle_fd`; a rejection names the entry at
// fault, the caller the bundle. Caller holds the lock. Throws SystemError.
StoreResult deploy_locked(LockedStore& store, int bundle_fd, const DeployOptions& options);
// Caller holds the lock. Throws SystemError.
StoreResult activate_locked(LockedStore& store, const std::string& revision, const StepHook& hook);
std::vector<std::string> prune_locked(LockedStore& store, std::size_t keep, std::int64_t now, const StepHook& hook);

}  // namespace lpicing
