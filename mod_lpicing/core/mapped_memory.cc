// Kernel-mapped memory for large one-off buffers.
#include "mapped_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace lpicing {
namespace {

constexpr std::size_t kMapAtLeast = 64 * 1024;
// Before each block: how it was had (mapped length, or 0 for malloc), padded
// to 16 bytes so the block keeps malloc's alignment.
constexpr std::size_t kHeader = 16;

}  // namespace

MappedBuffer::MappedBuffer(std::size_t size) {
  void* p = ::mmap(nullptr, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  data_ = static_cast<char*>(p);
  size_ = size;
}

MappedBuffer::~MappedBuffer() {
  if (data_) ::munmap(data_, size_ ? size_ : 1);
}

void* mapped_alloc(void*, std::size_t size) noexcept {
  if (size > SIZE_MAX - kHeader) return nullptr;
  std::size_t total = size + kHeader;
  void* base = nullptr;
  std::size_t mapped = 0;
  if (size >= kMapAtLeast) {
    base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return nullptr;
    mapped = total;
  } else {
    base = std::malloc(total);
    if (!base) return nullptr;
  }
  *static_cast<std::size_t*>(base) = mapped;
  return static_cast<char*>(base) + kHeader;
}

void mapped_free(void*, void* address) noexcept {
  if (!address) return;
  void* base = static_cast<char*>(address) - kHeader;
  std::size_t mapped = *static_cast<std::size_t*>(base);
  if (mapped)
    ::munmap(base, mapped);
  else
    std::free(base);
}

void* mapped_zalloc(void* opaque, unsigned items, unsigned size) noexcept {
  return mapped_alloc(opaque, std::size_t{items} * size);
}

void mapped_zfree(void* opaque, void* address) noexcept { mapped_free(opaque, address); }

}  // namespace lpicing
