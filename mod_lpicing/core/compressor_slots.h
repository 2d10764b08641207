// Compressor slots: how many combo compressions may run at once in one httpd
// (all children, all threads), so a flood of distinct combos costs at most
// that many cores. The slots live in shared memory every child can write, so
// nothing read from them is trusted: garbage there can make a miss go out
// uncompressed, never crash or block anyone, and is never used as an index.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lpicing {

// Default of LPIcingComboCompressors, and its largest value.
inline constexpr std::uint32_t kComboDefaultCompressors = 1;
inline constexpr std::uint32_t kComboMaxCompressors = 256;
// A slot taken longer ago than this is free again, whoever holds it: a child
// killed mid-compression (or a reused pid) cannot keep it for ever. Far above
// the compression of the largest combo LPIcingComboMaxBytes allows at its default.
inline constexpr std::uint32_t kCompressorLeaseSeconds = 30;

// One slot is one 64-bit word: 0 when free, else the holder's pid in the low
// 32 bits and the CLOCK_MONOTONIC second it was taken in the high 32 bits
// (tests/harness/scribble writes words of this layout to fill the slots).
inline constexpr std::uint64_t compressor_slot_word(std::int32_t pid, std::uint32_t taken_second) {
  return (std::uint64_t{taken_second} << 32) | static_cast<std::uint32_t>(pid);
}

class CompressorSlots {
 public:
  // Whether a process exists (kill(pid, 0) does not fail with ESRCH).
  using ProcessAlive = bool (*)(std::int32_t pid);

  // The shared memory `count` slots need.
  static constexpr std::size_t bytes_for(std::uint32_t count) { return std::size_t{count} * sizeof(std::uint64_t); }

  // No slots: nothing is ever acquired.
  CompressorSlots() = default;
  // `count` slots at `memory` (zeroed by whoever made it), fewer when `bytes`
  // holds fewer; none when `memory` is null or not 8-byte aligned. The count
  // comes from the configuration, never from the memory.
  CompressorSlots(void* memory, std::size_t bytes, std::uint32_t count);

  std::uint32_t size() const { return count_; }

  // A slot held until destroyed or released; move-only. Empty: none was free.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() { release(); }

    explicit operator bool() const { return slot_ != nullptr; }
    // Frees the slot if it still holds our word (it may have been taken over
    // after the lease, or scribbled); a no-op when empty.
    void release() noexcept;

   private:
    friend class CompressorSlots;
    Hold(std::uint64_t* slot, std::uint64_t word) : slot_(slot), word_(word) {}
    std::uint64_t* slot_ = nullptr;
    std::uint64_t word_ = 0;
  };

  // Takes one of the first min(limit, size()) slots without waiting, the
  // highest free one first (so a virtual host with a small limit keeps its
  // low slots longest); empty when all of them are busy or limit is 0. For
  // this process, now, on the monotonic clock.
  Hold try_acquire(std::uint32_t limit) const noexcept;
  // The same with the holder, the time and the liveness check given (tests, fuzzing).
  Hold try_acquire(std::uint32_t limit, std::int32_t pid, std::uint32_t now_second, ProcessAlive alive) const noexcept;

  // Busy slots among the first min(limit, size()), as try_acquire judges them.
  std::uint32_t busy(std::uint32_t limit, std::uint32_t now_second, ProcessAlive alive) const noexcept;

  // Whether `word` holds its slot at `now_second`: a plausible pid, taken at
  // most kCompressorLeaseSeconds ago (and not more than a second ahead: the
  // clock read races with other processes' acquiring), and the holder alive.
  static bool holds(std::uint64_t word, std::uint32_t now_second, ProcessAlive alive) noexcept;

  // The real clock and liveness check.
  static std::uint32_t monotonic_second() noexcept;
  static bool process_alive(std::int32_t pid) noexcept;

 private:
  std::uint64_t* slots_ = nullptr;
  std::uint32_t count_ = 0;
};

}  // namespace lpicing
