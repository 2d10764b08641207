// Per-child cache of small asset bodies, mapped read-only from the store.
// Store files never change once their revision is renamed into place, so a
// mapping stays right for as long as anyone holds it, even after the file is
// pruned (unlinked). A request holds its body through a shared_ptr until its
// pool goes, so eviction never pulls memory from under a response in flight.
// Mapped pages are the page cache's, shared by every child: not private memory.
// A mapping keeps a pruned file's blocks allocated, so every 10 s a lookup
// first drops the mappings whose files are gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "index.h"
#include "lru.h"

namespace lpicing {

class MappedBody {
 public:
  MappedBody(const void* data, std::size_t size) : data_(data), size_(size) {}
  ~MappedBody();
  MappedBody(const MappedBody&) = delete;
  MappedBody& operator=(const MappedBody&) = delete;
  const char* data() const { return static_cast<const char*>(data_); }
  std::size_t size() const { return size_; }

 private:
  const void* data_;
  std::size_t size_;
};

class BodyCache {
 public:
  // Files larger than `max_file` are left to sendfile; at most `max_total`
  // bytes stay mapped (least recently used go first).
  explicit BodyCache(std::size_t max_file = 64 * 1024, std::size_t max_total = 64 * 1024 * 1024);
  BodyCache(const BodyCache&) = delete;
  BodyCache& operator=(const BodyCache&) = delete;

  // The body of `file`, whose INDEX says it has `size` bytes with digest
  // `sha256`; mapped on first use. nullptr when the file is empty, too big
  // for the cache, missing, or not `size` bytes long: the caller then serves
  // it the ordinary way (and reports what it finds). The digest is part of
  // the key, so a revision re-deployed under the same id is never served
  // from an older mapping. Throws only std::bad_alloc.
  std::shared_ptr<const MappedBody> get(const std::string& file, std::uint64_t size, const Sha256& sha256);

  std::size_t entries() const;
  std::size_t mapped_bytes() const;
  // Drops the mappings of files that no longer exist (pruned revisions).
  void sweep();

 private:
  const std::size_t max_file_;
  mutable std::mutex mutex_;
  // Key: path, NUL, digest; cost: bytes mapped.
  lpweb::LruMap<std::string, std::shared_ptr<const MappedBody>> bodies_;
  std::int64_t next_sweep_ = 0;  // steady-clock seconds
};

}  // namespace lpicing
