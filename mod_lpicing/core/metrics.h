// Request counters of mod_lpicing per store (requests by final status, body
// bytes sent), kept in one memory region every httpd child shares, and the
// status outputs that carry them: JSON members and Prometheus text format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "counter_table.h"
#include "store_report.h"

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

// The request counters live in the common shared counter table
// (common/counter_table.h): a row per store (keyed by its path, registered by
// the parent only), a column per status 100..599, one for any other status,
// and one for body bytes sent.
inline constexpr std::size_t kMaxCountedStoreBytes = 1023;
inline constexpr std::uint32_t kOtherStatusColumn = RequestCounts::kStatuses;
inline constexpr std::uint32_t kBytesSentColumn = RequestCounts::kStatuses + 1;
// 64 stores per httpd.
lpweb::CounterShape request_counter_shape();

// Parent only: the row of `store`, registered when new; -1 when the table is
// full or the path longer than kMaxCountedStoreBytes.
int store_row(lpweb::CounterTable& table, std::string_view store);
// Any process or thread: one finished request.
void count_request(const lpweb::CounterTable& table, int row, int status, std::uint64_t body_bytes);
RequestCounts request_counts(const lpweb::CounterTable& table, int row);

// Statuses always reported (as 0 until seen), so a dashboard's series exist
// from the start; any other status appears once it has been counted.
inline constexpr int kAlwaysReportedStatuses[] = {200, 304, 404};

// The status JSON: the store report (store_report.h, schema 1) with the
// counters as its last members:
// ..., "requests": {"200": N, "304": N, "404": N, ...}, "requests_total": N, "bytes_sent": N}
std::string status_json(const StoreReport& report, const RequestCounts& counts);

// Prometheus text exposition format (version 0.0.4), metric names lpicing_*.
std::string status_prometheus(const StoreReport& report, const RequestCounts& counts);


}  // namespace lpicing
