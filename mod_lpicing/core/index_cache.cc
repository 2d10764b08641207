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

std::shared_ptr<const RevisionIndex> IndexCache::get(std::string_view store_dir, std::string_view revision,
                                                     std::string* error) {
  if (error) error->clear();
  if (!is_valid_revision_id(revision)) return nullptr;
  const std::string key = layout::index_path(store_dir, revision);

  struct stat st;
  if (::stat(key.c_str(), &st) != 0) {
    int err = errno;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);
    }
    if (err != ENOENT && err != ENOTDIR && error) *error = key + ": " + std::generic_category().message(err);
    return nullptr;
  }
  const FileIdentity seen = identity_of(st);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot* slot = slots_.find(key);
    if (slot && slot->identity == seen) {
      if (!slot->index && error) *error = slot->error;
      return slot->index;
    }
  }

  // Parsed outside the lock: a big INDEX must not stall the other threads.
  // Two threads may both load a new revision; the later store wins, harmlessly.
  Slot slot;
  std::string text, why;
  int err = 0;
  if (!read_index_file(key, &text, &st, &err, &why)) {
    if (err == ENOENT || err == ENOTDIR) {  // pruned between stat and open
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);
      return nullptr;
    }
    slot.identity = seen;
    slot.error = why;
  } else {
    slot.identity = identity_of(st);
    std::shared_ptr<const RevisionIndex> index = RevisionIndex::parse(text, &why);
    if (index && index->header().revision != revision) {
      why = "INDEX is for revision " + index->header().revision;
      index.reset();
    }
    if (!index) slot.error = key + ": " + why;
    slot.index = std::move(index);
  }
  std::shared_ptr<const RevisionIndex> result = slot.index;
  if (!result && error) *error = slot.error;
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.put(key, std::move(slot), 1);
  return result;
}

}  // namespace lpicing
