// Tests of run_parallel, the fork-join helper deploy uses for precompression: every job
// runs once, the first error comes back after all threads joined, and it stops new jobs.
#include "parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace lpicing {
namespace {

TEST(RunParallel, RunsEveryJobExactlyOnce) {
  std::vector<std::atomic<int>> runs(1000);
  run_parallel(runs.size(), 4, [&](std::size_t i) { runs[i].fetch_add(1); });
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << i;
}

TEST(RunParallel, NoJobsRunsNothing) {
  bool ran = false;
  run_parallel(0, 4, [&](std::size_t) { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(RunParallel, NeverRunsMoreJobsAtOnceThanThreads) {
  std::atomic<int> running{0}, most{0};
  run_parallel(40, 2, [&](std::size_t) {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --running;
  });
  EXPECT_LE(most.load(), 2);
}

TEST(RunParallel, RethrowsTheFailingJobsErrorAfterTheOthersFinish) {
  std::atomic<int> running{0};
  try {
    run_parallel(8, 4, [&](std::size_t i) {
      if (i == 0) throw std::runtime_error("job 0 failed");
      ++running;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      --running;
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "job 0 failed");
  }
  // Joined: no job is still running once run_parallel has thrown.
  EXPECT_EQ(running.load(), 0);
}

TEST(RunParallel, StopsStartingJobsAfterAnError) {
  std::atomic<std::size_t> started{0};
  constexpr std::size_t kJobs = 10000;
  EXPECT_THROW(run_parallel(kJobs, 2,
                            [&](std::size_t i) {
                              ++started;
                              if (i == 0) throw std::runtime_error("first job failed");
                              std::this_thread::sleep_for(std::chrono::microseconds(200));
                            }),
               std::runtime_error);
  EXPECT_LT(started.load(), kJobs);
}

TEST(RunParallel, ThreadCountIsAtLeastOneAndCapped) {
  EXPECT_GE(precompress_thread_count(), 1u);
  EXPECT_LE(precompress_thread_count(), 4u);
}

}  // namespace
}  // namespace lpicing
