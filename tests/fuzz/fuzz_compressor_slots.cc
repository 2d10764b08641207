// Fuzzes the combo compressor slots over a segment of arbitrary bytes (what
// a compromised child may leave in the shared memory), then a sequence of
// acquires, releases, scribbles and clock steps: nothing outside the segment
// is touched (it is allocated at its exact size, possibly misaligned), an
// acquire only ever replaces a word that did not hold its slot, a release
// only ever frees its own word, and nothing loops.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "compressor_slots.h"
#include "fuzz_check.h"

namespace {

using lpicing::CompressorSlots;

// Deterministic liveness: pids divisible by 3 are gone.
bool alive(std::int32_t pid) { return pid % 3 != 0; }

std::uint64_t word_at(const unsigned char* base, std::size_t i) {
  std::uint64_t w;
  std::memcpy(&w, base + i * 8, 8);
  return w;
}

// memcmp, which must not be given a null pointer even for 0 bytes.
bool same(const unsigned char* a, const unsigned char* b, std::size_t n) { return n == 0 || std::memcmp(a, b, n) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint32_t count = data[0] % 20;
  const bool misaligned = data[1] & 1;
  const std::size_t bytes = data[2] % 160;
  std::uint32_t now = 1000u + data[3];
  data += 4;
  size -= 4;
  // The segment, exactly `bytes` long after an optional one-byte shift.
  auto storage = std::make_unique<unsigned char[]>(bytes + 1);
  unsigned char* base = storage.get() + (misaligned ? 1 : 0);
  for (std::size_t i = 0; i < bytes; ++i) base[i] = i < size ? data[i] : static_cast<unsigned char>(i * 37);
  std::size_t used = bytes < size ? bytes : size;
  data += used;
  size -= used;

  CompressorSlots slots(base, bytes, count);
  const std::uint32_t n = slots.size();
  CHECK(n <= count && n * 8 <= bytes);
  CHECK(!misaligned || n == 0);

  std::vector<CompressorSlots::Hold> holds;
  std::vector<std::uint64_t> words;  // what each hold wrote
  for (std::size_t i = 0; i + 3 < size; i += 4) {
    const std::uint8_t op = data[i] % 5, a = data[i + 1], b = data[i + 2], c = data[i + 3];
    std::vector<std::uint64_t> before(n);
    for (std::uint32_t k = 0; k < n; ++k) before[k] = word_at(base, k);
    std::vector<unsigned char> whole(base, base + bytes);
    switch (op) {
      case 0: {  // acquire
        const std::uint32_t limit = a % 24;
        const std::int32_t pid = static_cast<std::int32_t>((static_cast<std::uint32_t>(b) << 8 | c) - 100);
        CompressorSlots::Hold h = slots.try_acquire(limit, pid, now, alive);
        std::uint32_t changed = 0, where = 0;
        for (std::uint32_t k = 0; k < n; ++k)
          if (word_at(base, k) != before[k]) ++changed, where = k;
        if (!h) {
          CHECK(changed == 0);
          CHECK(same(whole.data(), base, bytes));
        } else {
          const std::uint64_t mine = lpicing::compressor_slot_word(pid, now);
          CHECK(pid > 0 && changed <= 1);
          if (changed == 1) {
            CHECK(where < limit && word_at(base, where) == mine);
            CHECK(!CompressorSlots::holds(before[where], now, alive));
          } else {  // it replaced a free word equal to its own (a gone pid's, taken the same second)
            bool found = false;
            for (std::uint32_t k = 0; k < n && k < limit; ++k)
              found = found || (before[k] == mine && !CompressorSlots::holds(mine, now, alive));
            CHECK(found);
          }
          // Only slot words change: bytes past the last slot are left alone.
          CHECK(same(whole.data() + n * 8, base + n * 8, bytes - n * 8));
          words.push_back(lpicing::compressor_slot_word(pid, now));
          holds.push_back(std::move(h));
        }
        break;
      }
      case 1: {  // release one
        if (holds.empty()) break;
        std::size_t k = a % holds.size();
        holds[k].release();
        for (std::uint32_t s = 0; s < n; ++s) {
          std::uint64_t w = word_at(base, s);
          CHECK(w == before[s] || (before[s] == words[k] && w == 0));
        }
        CHECK(same(whole.data() + n * 8, base + n * 8, bytes - n * 8));
        holds.erase(holds.begin() + static_cast<std::ptrdiff_t>(k));
        words.erase(words.begin() + static_cast<std::ptrdiff_t>(k));
        break;
      }
      case 2:  // a compromised child writes a byte
        if (bytes) base[(static_cast<std::size_t>(a) << 8 | b) % bytes] = c;
        break;
      case 3:  // time passes (or the clock value wraps)
        now += static_cast<std::uint32_t>(a) << 24 | static_cast<std::uint32_t>(b) << 8 | c;
        break;
      default:  // counting
        CHECK(slots.busy(a, now, alive) <= (a < n ? a : n));
        break;
    }
  }
  return 0;
}
