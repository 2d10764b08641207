// Compressor slots in shared memory: compare-and-swap on one word per slot.
#include "compressor_slots.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace lpicing {
namespace {

// Linux's PID_MAX_LIMIT: a larger "pid" can only be garbage.
constexpr std::int32_t kMaxPid = 1 << 22;

std::int32_t pid_of(std::uint64_t word) { return static_cast<std::int32_t>(static_cast<std::uint32_t>(word)); }
std::uint32_t second_of(std::uint64_t word) { return static_cast<std::uint32_t>(word >> 32); }

}  // namespace

CompressorSlots::CompressorSlots(void* memory, std::size_t bytes, std::uint32_t count) {
  if (!memory || reinterpret_cast<std::uintptr_t>(memory) % alignof(std::uint64_t) != 0) return;
  std::size_t fits = bytes / sizeof(std::uint64_t);
  slots_ = static_cast<std::uint64_t*>(memory);
  count_ = count < fits ? count : static_cast<std::uint32_t>(fits);
}

bool CompressorSlots::holds(std::uint64_t word, std::uint32_t now_second, ProcessAlive alive) noexcept {
  std::int32_t pid = pid_of(word);
  if (pid <= 0 || pid > kMaxPid) return false;  // free (0), or garbage: never passed to kill()
  std::int64_t age = std::int64_t{now_second} - std::int64_t{second_of(word)};
  if (age < -1 || age > kCompressorLeaseSeconds) return false;
  return alive(pid);
}

std::uint32_t CompressorSlots::busy(std::uint32_t limit, std::uint32_t now_second, ProcessAlive alive) const noexcept {
  std::uint32_t n = limit < count_ ? limit : count_, busy = 0;
  for (std::uint32_t i = 0; i < n; ++i)
    if (holds(__atomic_load_n(&slots_[i], __ATOMIC_ACQUIRE), now_second, alive)) ++busy;
  return busy;
}

CompressorSlots::Hold CompressorSlots::try_acquire(std::uint32_t limit, std::int32_t pid, std::uint32_t now_second,
                                                   ProcessAlive alive) const noexcept {
  if (pid <= 0 || pid > kMaxPid) return {};
  const std::uint64_t mine = compressor_slot_word(pid, now_second);
  // Each slot is looked at once: a lost race moves on, so this never spins.
  for (std::uint32_t i = limit < count_ ? limit : count_; i-- > 0;) {
    std::uint64_t seen = __atomic_load_n(&slots_[i], __ATOMIC_ACQUIRE);
    if (holds(seen, now_second, alive)) continue;
    if (__atomic_compare_exchange_n(&slots_[i], &seen, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return Hold(&slots_[i], mine);
  }
  return {};
}

CompressorSlots::Hold CompressorSlots::try_acquire(std::uint32_t limit) const noexcept {
  if (limit == 0 || count_ == 0) return {};
  return try_acquire(limit, static_cast<std::int32_t>(::getpid()), monotonic_second(), process_alive);
}

CompressorSlots::Hold::Hold(Hold&& other) noexcept : slot_(other.slot_), word_(other.word_) { other.slot_ = nullptr; }

CompressorSlots::Hold& CompressorSlots::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    release();
    slot_ = other.slot_;
    word_ = other.word_;
    other.slot_ = nullptr;
  }
  return *this;
}

void CompressorSlots::Hold::release() noexcept {
  if (!slot_) return;
  std::uint64_t expected = word_;
  __atomic_compare_exchange_n(slot_, &expected, std::uint64_t{0}, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  slot_ = nullptr;
}

std::uint32_t CompressorSlots::monotonic_second() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint32_t>(ts.tv_sec);
}

bool CompressorSlots::process_alive(std::int32_t pid) noexcept {
  if (pid <= 0) return false;  // kill() would signal a process group
  int saved = errno;
  bool alive = ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
  errno = saved;
  return alive;
}

}  // namespace lpicing
