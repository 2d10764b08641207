// The parsed INDEX files of one httpd child, shared by its threads. One
// stat() of the INDEX per lookup revalidates the cached copy: a pruned
// revision disappears at once, a re-deployed one (new inode) is re-read.
// Failures are cached by the same stat identity, so a broken INDEX is not
// re-parsed per request. Keyed by the INDEX path, so one instance can serve
// several stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "index.h"
#include "lru.h"

namespace lpicing {

class IndexCache {
 public:
  explicit IndexCache(std::size_t capacity = 256);  // revisions kept
  IndexCache(const IndexCache&) = delete;
  IndexCache& operator=(const IndexCache&) = delete;

  // The revision's parsed INDEX; a null one when the revision is not in the
  // store (404; an invalid revision id is simply not in the store); the error
  // when its INDEX exists but cannot be read or is malformed (log it).
  // Throws only std::bad_alloc.
  lpweb::Result<std::shared_ptr<const RevisionIndex>> get(std::string_view store_dir, std::string_view revision);

  std::size_t size() const;
  void clear();

 private:
  struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_sec = 0;
    long mtime_nsec = 0;
    bool operator==(const FileIdentity& o) const {
      return dev == o.dev && ino == o.ino && size == o.size && mtime_sec == o.mtime_sec &&
             mtime_nsec == o.mtime_nsec;
    }
  };
  struct Slot {
    FileIdentity identity;
    std::shared_ptr<const RevisionIndex> index;  // null: cached failure
    std::string error;
  };
  static FileIdentity identity_of(const struct stat& st);

  mutable std::mutex mutex_;
  lpweb::LruMap<std::string, Slot> slots_;  // by INDEX path, cost 1 each
};

}  // namespace lpicing
