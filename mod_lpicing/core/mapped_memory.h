// Memory mapped from the kernel for one large job and unmapped after it, for
// request-time compression: malloc would keep such buffers in the arena of
// whichever worker thread ran the job, so every thread of a child would end
// up holding one compression's peak for good.
#pragma once

#include <cstddef>

namespace lpicing {

// A zeroed buffer of `size` bytes (at least one page mapped), unmapped when
// destroyed. Empty (data() null) when the kernel refuses.
class MappedBuffer {
 public:
  explicit MappedBuffer(std::size_t size);
  ~MappedBuffer();
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;

  char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Allocation functions for the brotli encoder (alloc_func / free_func) and
// zlib (zalloc / zfree): blocks of 64 KB and more are mapped, smaller ones
// come from malloc. 16-byte aligned; null when out of memory.
void* mapped_alloc(void* opaque, std::size_t size) noexcept;
void mapped_free(void* opaque, void* address) noexcept;
void* mapped_zalloc(void* opaque, unsigned items, unsigned size) noexcept;
void mapped_zfree(void* opaque, void* address) noexcept;

}  // namespace lpicing
