// The per-child INDEX cache.
#include "index_cache.h"

#include <sys/stat.h>

#include <cerrno>
#include <system_error>

#include "store_layout.h"

namespace lpicing {

IndexCache::IndexCache(std::size_t capacity) : slots_(capacity == 0 ? 1 : capacity) {}

std::size_t IndexCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
}

void IndexCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.clear();
}

IndexCache::FileIdentity IndexCache::identity_of(const struct stat& s) {
  FileIdentity id;
  id.dev = s.st_dev;
  id.ino = s.st_ino;
  id.size = s.st_size;
  id.mtime_sec = static_cast<std::int64_t>(s.st_mtim.tv_sec);
  id.mtime_nsec = s.st_mtim.tv_nsec;
  return id;
}

lpweb::Result<std::shared_ptr<const RevisionIndex>> IndexCache::get(std::string_view store_dir,
                                                                    std::string_view revision) {
  using Found = std::shared_ptr<const RevisionIndex>;
  if (!is_valid_revision_id(revision)) return Found();
  const std::string key = layout::index_path(store_dir, revision);

  struct stat st;
  if (::stat(key.c_str(), &st) != 0) {
    int err = errno;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);
    }
    if (err != ENOENT && err != ENOTDIR) return lpweb::system_error(key + ": " + std::generic_category().message(err));
    return Found();
  }
  const FileIdentity seen = identity_of(st);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot* slot = slots_.find(key);
    if (slot && slot->identity == seen) {
      if (!slot->index) return lpweb::system_error(slot->error);
      return slot->index;
    }
  }

  // Parsed outside the lock: a big INDEX must not stall the other threads.
  // Two threads may both load a new revision; the later store wins, harmlessly.
  Slot slot;
  lpweb::Result<IndexFile> file = read_index_file(key);
  if (!file) {
    if (file.error().code == ENOENT || file.error().code == ENOTDIR) {  // pruned between stat and open
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);
      return Found();
    }
    slot.identity = seen;
    slot.error = file.error().message;
  } else {
    slot.identity = identity_of(file->st);
    lpweb::Result<std::unique_ptr<RevisionIndex>> parsed = RevisionIndex::parse(file->text);
    if (!parsed)
      slot.error = key + ": " + parsed.error().message;
    else if ((*parsed)->header().revision != revision)
      slot.error = key + ": INDEX is for revision " + (*parsed)->header().revision;
    else
      slot.index = std::move(*parsed);
  }
  Found result = slot.index;
  std::string error = slot.error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_.put(key, std::move(slot), 1);
  }
  if (!result) return lpweb::system_error(std::move(error));
  return result;
}

}  // namespace lpicing
