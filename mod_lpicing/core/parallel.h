// A tiny fork-join helper for CPU-bound deploy work (brotli 11 dominates a deploy):
// no global pool, threads live only for the duration of one call.
#pragma once

#include <cstddef>
#include <functional>

namespace lpicing {

// Threads worth using for precompression: hardware_concurrency, at least 1, capped
// because each brotli-11 encoder of a large file holds hundreds of MB.
std::size_t precompress_thread_count();

// Runs job(0) .. job(count - 1), each once, on up to `threads` new threads while the
// caller waits. After the first job throws, no new job starts; every thread is joined,
// then that first exception is rethrown. When threads cannot be started, those that
// did start do the jobs, or the caller when none did.
void run_parallel(std::size_t count, std::size_t threads,
                  const std::function<void(std::size_t)>& job);

}  // namespace lpicing
