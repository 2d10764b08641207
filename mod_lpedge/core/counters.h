// Redirect counters per (edge host, status), kept in one memory region that
// every httpd child shares, so the status handler can report the sum over all
// children. Slots are registered only by the parent, before children fork;
// children only increment, lock-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lpedge {

class CounterTable {
 public:
  static constexpr std::size_t kHostBytes = 256;

  // Bytes a region needs for `slots` counters.
  static std::size_t bytes_for(std::size_t slots);

  // Lays out an empty table in `memory` (zeroed or not); returns false if
  // `bytes` cannot hold even one slot.
  static bool format(void* memory, std::size_t bytes);
  // Uses a region formatted earlier, counts intact; nullopt-like invalid
  // table when the region holds no table.
  explicit CounterTable(void* memory) : header_(static_cast<Header*>(memory)) {}
  bool valid() const;

  // Parent only: the slot for (edge host, status), registering it when new.
  // -1 when the table is full or the host is too long.
  int slot_for(std::string_view edge_host, int status);

  // Any process or thread.
  void increment(int slot);
  std::uint64_t count(int slot) const;

  // Visits every registered slot in registration order.
  void for_each(const std::function<void(std::string_view edge_host, int status, std::uint64_t count)>& visit) const;

 private:
  struct Slot {
    char edge_host[kHostBytes];
    std::uint32_t status;
    std::uint32_t reserved;
    std::uint64_t count;  // accessed with __atomic builtins only
  };
  struct Header {
    std::uint64_t magic;
    std::uint32_t capacity;
    std::uint32_t used;  // written by the parent only, before children read it
    Slot slots[1];
  };
  Header* header_;
};

// The counters as JSON ({"redirects":[{"edge_host":..,"status":..,"count":..}],"total":N})
// and as Prometheus text exposition format.
std::string status_json(const CounterTable& table);
std::string status_prometheus(const CounterTable& table);

}  // namespace lpedge
