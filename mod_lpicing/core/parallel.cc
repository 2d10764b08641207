// Implementation of run_parallel: an atomic job counter shared by a few std::threads.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace lpicing {

namespace {
constexpr std::size_t kMaxPrecompressThreads = 4;
}  // namespace

std::size_t precompress_thread_count() {
  std::size_t n = std::thread::hardware_concurrency();
  return std::clamp<std::size_t>(n, 1, kMaxPrecompressThreads);
}

void run_parallel(std::size_t count, std::size_t threads,
                  const std::function<void(std::size_t)>& job) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  // Never throws, so every started thread reaches join below.
  auto work = [&]() noexcept {
    while (!failed.load(std::memory_order_relaxed)) {
      std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= count) return;
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed.store(true, std::memory_order_relaxed);
        return;
      }
    }
  };

  // The caller only waits: brotli's large per-call allocations churn the main malloc
  // arena (~50 page faults a file), not the arenas of other threads.
  std::size_t wanted = std::min(threads, count);
  std::vector<std::thread> pool;
  pool.reserve(wanted);
  try {
    for (std::size_t t = 0; t < wanted; ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
    // Out of threads: the ones started share the jobs, or the caller does them all.
  }
  if (pool.empty()) work();
  for (std::thread& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace lpicing
