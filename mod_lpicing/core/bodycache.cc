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

BodyCache::BodyCache(std::size_t max_file, std::size_t max_total) : max_file_(max_file), bodies_(max_total) {}

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
  if (size == 0 || size > max_file_ || size > bodies_.capacity()) return nullptr;
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
      sweep_due = bodies_.size() > 0;
      next_sweep_ = now.count() + 10;
    }
    if (const auto* body = bodies_.find(key)) hit = *body;
  }
  if (sweep_due) sweep();  // outside the lock: it stats every mapped file
  if (hit) return hit;      // still valid even if the sweep just dropped it
  // Mapped outside the lock; two threads racing here both map, one keeps its own.
  auto body = map_file(file, size);
  if (!body) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto* mapped = bodies_.find(key)) return *mapped;
  std::uint64_t cost = body->size();
  bodies_.put(std::move(key), body, cost);
  return body;
}

void BodyCache::sweep() {
  std::vector<std::string> keys;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bodies_.for_each([&](const std::string& key, const auto&) { keys.push_back(key); });
  }
  std::vector<std::string> gone;
  for (const std::string& key : keys) {
    struct stat st;
    if (stat(key.c_str(), &st) != 0 && errno == ENOENT) gone.push_back(key);  // key: path, NUL, digest
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& key : gone) bodies_.erase(key);
}

std::size_t BodyCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bodies_.size();
}

std::size_t BodyCache::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<std::size_t>(bodies_.total_cost());
}

}  // namespace lpicing
