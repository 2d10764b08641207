#include "bodycache.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace lpicing {

MappedBody::~MappedBody() { munmap(const_cast<void*>(data_), size_); }

BodyCache::BodyCache(std::size_t max_file, std::size_t max_total) : max_file_(max_file), max_total_(max_total) {}

namespace {

std::shared_ptr<const MappedBody> map_file(const std::string& file, std::uint64_t size) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return nullptr;
  struct stat st;
  void* data = MAP_FAILED;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) == size)
    data = mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (data == MAP_FAILED) return nullptr;
  try {
    return std::make_shared<const MappedBody>(data, static_cast<std::size_t>(size));
  } catch (...) {
    munmap(data, static_cast<std::size_t>(size));
    throw;
  }
}

}  // namespace

std::shared_ptr<const MappedBody> BodyCache::get(const std::string& file, std::uint64_t size, const Sha256& sha256) {
  if (size == 0 || size > max_file_ || size > max_total_) return nullptr;
  std::string key;
  key.reserve(file.size() + 1 + sha256.size());
  key.append(file).push_back('\0');
  key.append(reinterpret_cast<const char*>(sha256.data()), sha256.size());
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch());
  // One lock per hit: the lookup and the question whether a sweep is due.
  std::shared_ptr<const MappedBody> hit;
  bool sweep_due = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (now.count() >= next_sweep_) {
      sweep_due = !entries_.empty();
      next_sweep_ = now.count() + 10;
    }
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      hit = it->second.body;
    }
  }
  if (sweep_due) sweep();  // outside the lock: it stats every mapped file
  if (hit) return hit;      // still valid even if the sweep just dropped it
  // Mapped outside the lock; two threads racing here both map, one keeps its own.
  auto body = map_file(file, size);
  if (!body) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second.body;
  while (mapped_ + body->size() > max_total_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    mapped_ -= victim->second.body->size();
    entries_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(key);
  try {
    entries_.emplace(std::move(key), Entry{body, lru_.begin()});
  } catch (...) {
    lru_.pop_front();
    throw;
  }
  mapped_ += body->size();
  return body;
}

void BodyCache::sweep() {
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keys.assign(lru_.begin(), lru_.end());
  }
  std::vector<std::string> gone;
  for (const std::string& key : keys) {
    struct stat st;
    if (stat(key.c_str(), &st) != 0 && errno == ENOENT) gone.push_back(key);  // key: path, NUL, digest
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& key : gone) {
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    mapped_ -= it->second.body->size();
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
}

std::size_t BodyCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::size_t BodyCache::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mapped_;
}

}  // namespace lpicing
