// Compressor slots: the bound on combo compressions running at once in one
// httpd, over memory any child can scribble on.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "compressor_slots.h"

namespace {

using namespace lpicing;

bool all_alive(std::int32_t) { return true; }
bool odd_alive(std::int32_t pid) { return pid % 2 == 1; }

constexpr std::uint32_t kNow = 1000;

class Slots : public ::testing::Test {
 protected:
  explicit Slots(std::uint32_t count = 4) : memory_(count, 0), slots_(memory_.data(), memory_.size() * 8, count) {}
  std::vector<std::uint64_t> memory_;
  CompressorSlots slots_;
};

TEST_F(Slots, EachSlotGoesToOneHolderAtATime) {
  std::vector<CompressorSlots::Hold> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(slots_.try_acquire(4, 101, kNow, all_alive));
    EXPECT_TRUE(held.back()) << i;
  }
  EXPECT_FALSE(slots_.try_acquire(4, 103, kNow, all_alive));
  EXPECT_EQ(slots_.busy(4, kNow, all_alive), 4u);
  held[2].release();
  EXPECT_EQ(slots_.busy(4, kNow, all_alive), 3u);
  EXPECT_TRUE(slots_.try_acquire(4, 103, kNow, all_alive));
}

TEST_F(Slots, TheWordHoldsPidAndSecond) {
  CompressorSlots::Hold h = slots_.try_acquire(1, 4242, kNow, all_alive);
  ASSERT_TRUE(h);
  EXPECT_EQ(memory_[0], compressor_slot_word(4242, kNow));
  EXPECT_EQ(memory_[0], (std::uint64_t{kNow} << 32) | 4242u);
}

TEST_F(Slots, ALimitUsesOnlyTheFirstSlotsHighestFirst) {
  CompressorSlots::Hold a = slots_.try_acquire(2, 101, kNow, all_alive);
  CompressorSlots::Hold b = slots_.try_acquire(2, 101, kNow, all_alive);
  EXPECT_NE(memory_[1], 0u);  // the highest of the first two went first
  EXPECT_NE(memory_[0], 0u);
  EXPECT_FALSE(slots_.try_acquire(2, 101, kNow, all_alive));
  EXPECT_EQ(memory_[2], 0u);
  EXPECT_EQ(memory_[3], 0u);
  // A larger limit takes the slots above.
  CompressorSlots::Hold c = slots_.try_acquire(4, 101, kNow, all_alive);
  EXPECT_TRUE(c);
  EXPECT_NE(memory_[3], 0u);
}

TEST_F(Slots, ZeroLimitNeverAcquires) {
  EXPECT_FALSE(slots_.try_acquire(0, 101, kNow, all_alive));
  EXPECT_FALSE(slots_.try_acquire(0));
  EXPECT_EQ(memory_, std::vector<std::uint64_t>(4, 0));
}

TEST_F(Slots, ALimitAboveTheCountIsTheCount) {
  std::vector<CompressorSlots::Hold> held;
  for (int i = 0; i < 10; ++i) held.push_back(slots_.try_acquire(1000, 101, kNow, all_alive));
  int got = 0;
  for (auto& h : held) got += h ? 1 : 0;
  EXPECT_EQ(got, 4);
}

TEST_F(Slots, ReleaseIsIdempotentAndHoldsMove) {
  CompressorSlots::Hold h = slots_.try_acquire(1, 101, kNow, all_alive);
  CompressorSlots::Hold moved = std::move(h);
  EXPECT_FALSE(h);  // NOLINT(bugprone-use-after-move): a moved-from hold is empty
  EXPECT_TRUE(moved);
  h.release();
  EXPECT_NE(memory_[0], 0u);
  moved.release();
  moved.release();
  EXPECT_EQ(memory_[0], 0u);
  {
    CompressorSlots::Hold scoped = slots_.try_acquire(1, 101, kNow, all_alive);
    EXPECT_NE(memory_[0], 0u);
  }
  EXPECT_EQ(memory_[0], 0u);  // released when destroyed
}

TEST_F(Slots, AGoneHolderFreesItsSlot) {
  CompressorSlots::Hold dead = slots_.try_acquire(1, 100, kNow, all_alive);  // even pid: "dead" below
  ASSERT_TRUE(dead);
  EXPECT_FALSE(slots_.try_acquire(1, 101, kNow, all_alive));
  CompressorSlots::Hold taken = slots_.try_acquire(1, 101, kNow, odd_alive);
  EXPECT_TRUE(taken);
  EXPECT_EQ(memory_[0], compressor_slot_word(101, kNow));
  // The first holder's release must not free the new holder's slot.
  dead.release();
  EXPECT_EQ(memory_[0], compressor_slot_word(101, kNow));
}

TEST_F(Slots, ALeaseOlderThanTheBoundIsFree) {
  CompressorSlots::Hold h = slots_.try_acquire(1, 101, kNow, all_alive);
  ASSERT_TRUE(h);
  EXPECT_FALSE(slots_.try_acquire(1, 103, kNow + kCompressorLeaseSeconds, all_alive));
  EXPECT_TRUE(slots_.try_acquire(1, 103, kNow + kCompressorLeaseSeconds + 1, all_alive));
}

TEST_F(Slots, ATimeFarAheadIsGarbageButOneSecondIsARace) {
  memory_[0] = compressor_slot_word(101, kNow + 1);  // taken by a process whose clock read came later
  EXPECT_FALSE(slots_.try_acquire(1, 103, kNow, all_alive));
  memory_[0] = compressor_slot_word(101, kNow + 2);
  EXPECT_TRUE(slots_.try_acquire(1, 103, kNow, all_alive));
  memory_[0] = compressor_slot_word(101, 0xffffffffu);
  EXPECT_TRUE(slots_.try_acquire(1, 103, kNow, all_alive));
}

TEST_F(Slots, GarbagePidsAreFreeAndNeverChecked) {
  static int checks;
  checks = 0;
  auto counting = [](std::int32_t) { ++checks; return true; };
  for (std::int32_t pid : {0, -1, -12345, INT32_MIN, (1 << 22) + 1, INT32_MAX}) {
    memory_[0] = compressor_slot_word(pid, kNow);
    CompressorSlots::Hold h = slots_.try_acquire(1, 101, kNow, counting);
    EXPECT_TRUE(h) << pid;
  }
  EXPECT_EQ(checks, 0);  // never passed to kill(): a negative one would name a process group
  EXPECT_FALSE(CompressorSlots::process_alive(0));
  EXPECT_FALSE(CompressorSlots::process_alive(-1));
}

TEST_F(Slots, AllOnesEverywhereLeavesEverySlotUsable) {
  std::memset(memory_.data(), 0xff, memory_.size() * 8);
  EXPECT_EQ(slots_.busy(4, kNow, all_alive), 0u);
  EXPECT_TRUE(slots_.try_acquire(4, 101, kNow, all_alive));
}

TEST_F(Slots, AnInvalidHolderCannotAcquire) {
  EXPECT_FALSE(slots_.try_acquire(4, 0, kNow, all_alive));
  EXPECT_FALSE(slots_.try_acquire(4, -5, kNow, all_alive));
}

TEST(CompressorSlotsMemory, TheCountComesFromTheCallerBoundedByTheMemory) {
  std::vector<std::uint64_t> memory(8, 0);
  EXPECT_EQ(CompressorSlots(memory.data(), 8 * 8, 3).size(), 3u);
  EXPECT_EQ(CompressorSlots(memory.data(), 2 * 8 + 7, 3).size(), 2u);
  EXPECT_EQ(CompressorSlots(nullptr, 64, 3).size(), 0u);
  EXPECT_EQ(CompressorSlots(reinterpret_cast<char*>(memory.data()) + 1, 63, 3).size(), 0u);  // misaligned
  CompressorSlots none;
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none.try_acquire(5));
  EXPECT_EQ(CompressorSlots::bytes_for(kComboMaxCompressors), kComboMaxCompressors * 8u);
}

TEST(CompressorSlotsReal, ThisProcessHoldsAndAnExitedChildDoesNot) {
  std::vector<std::uint64_t> memory(1, 0);
  CompressorSlots slots(memory.data(), 8, 1);
  {
    CompressorSlots::Hold h = slots.try_acquire(1);
    ASSERT_TRUE(h);
    EXPECT_EQ(static_cast<std::int32_t>(memory[0] & 0xffffffffu), static_cast<std::int32_t>(getpid()));
    EXPECT_FALSE(slots.try_acquire(1));  // another thread of this process
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);  // reaped: kill(pid, 0) fails with ESRCH
  memory[0] = compressor_slot_word(child, CompressorSlots::monotonic_second());
  EXPECT_FALSE(CompressorSlots::process_alive(child));
  EXPECT_TRUE(slots.try_acquire(1));
}

TEST(CompressorSlotsReal, ALiveProcessOfAnotherUserHolds) {
  // pid 1 exists; whether we may signal it (EPERM) or not, it is alive.
  EXPECT_TRUE(CompressorSlots::process_alive(1));
  std::vector<std::uint64_t> memory(1, compressor_slot_word(1, CompressorSlots::monotonic_second()));
  EXPECT_FALSE(CompressorSlots(memory.data(), 8, 1).try_acquire(1));
}

TEST(CompressorSlotsReal, ProcessesAcquireEachSlotOnce) {
  // Forked children race for 2 slots in shared memory; at any time at most 2 hold.
  auto* shared = static_cast<std::uint64_t*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  std::memset(shared, 0, 4096);
  std::uint64_t* holders = shared + 64;  // a counter outside the slots
  CompressorSlots slots(shared, 16, 2);
  std::vector<pid_t> children;
  for (int c = 0; c < 4; ++c) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int bad = 0;
      for (int i = 0; i < 20000; ++i) {
        CompressorSlots::Hold h = slots.try_acquire(2);
        if (!h) continue;
        if (__atomic_add_fetch(holders, 1, __ATOMIC_SEQ_CST) > 2) bad = 1;
        __atomic_sub_fetch(holders, 1, __ATOMIC_SEQ_CST);
      }
      _exit(bad);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "more than 2 holders at once";
  }
  EXPECT_EQ(shared[0], 0u);
  EXPECT_EQ(shared[1], 0u);
  munmap(shared, 4096);
}

}  // namespace
