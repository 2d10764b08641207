// Request counters of mod_lpicing per store (requests by final status, body
// bytes sent), kept in one memory region every httpd child shares, and the
// status outputs that carry them: JSON members and Prometheus text format.
// Slots are registered only by the parent before children fork; children only add.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "serve.h"

namespace lpicing {

// A snapshot of one store's counters.
struct RequestCounts {
  static constexpr int kFirstStatus = 100;
  static constexpr int kStatuses = 500;  // 100..599; anything else is counted as "other"
  std::uint64_t by_status[kStatuses + 1] = {};  // [kStatuses]: other
  std::uint64_t bytes_sent = 0;                 // response bodies

  std::uint64_t of_status(int status) const;
  std::uint64_t total() const;
};

class RequestCounterTable {
 public:
  static constexpr std::size_t kStoreBytes = 1024;  // longest store path counted, with its NUL

  // Bytes a region needs for `slots` stores.
  static std::size_t bytes_for(std::size_t slots);
  // Lays out an empty table in `memory`; false if `bytes` cannot hold one slot.
  static bool format(void* memory, std::size_t bytes);

  // A table formatted earlier, counts intact; invalid (every call a no-op) for
  // a null region or one holding no table.
  explicit RequestCounterTable(void* memory) : header_(static_cast<Header*>(memory)) {}
  bool valid() const;

  // Parent only: the slot of `store`, registering it when new; -1 when the
  // table is full or the path too long.
  int slot_for(std::string_view store);

  // Any process or thread: one finished request.
  void add(int slot, int status, std::uint64_t body_bytes);
  RequestCounts counts(int slot) const;

 private:
  struct Slot {
    char store[kStoreBytes];
    std::uint64_t by_status[RequestCounts::kStatuses + 1];  // __atomic builtins only
    std::uint64_t bytes_sent;
  };
  struct Header {
    std::uint64_t magic;
    std::uint32_t capacity;
    std::uint32_t used;  // written by the parent only, before children read it
    Slot slots[1];
  };
  Header* header_;
};

// Statuses always reported (as 0 until seen), so a dashboard's series exist
// from the start; any other status appears once it has been counted.
inline constexpr int kAlwaysReportedStatuses[] = {200, 304, 404};

// The status JSON with the counters as its last members:
// ..., "requests": {"200": N, "304": N, "404": N, ...}, "requests_total": N, "bytes_sent": N}
std::string status_json(const StoreReport& report, const RequestCounts& counts);

// Prometheus text exposition format (version 0.0.4), metric names lpicing_*.
std::string status_prometheus(const StoreReport& report, const RequestCounts& counts);

// "format=prometheus" among the `&`-separated members of a query string.
bool wants_prometheus(std::string_view query);

}  // namespace lpicing
