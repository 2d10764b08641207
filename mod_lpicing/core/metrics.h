// Request counters of mod_lpicing per store (requests by final status, body
// bytes sent), kept in one memory region every httpd child shares; the drop
// directory's gauges the watcher keeps there; and the status outputs that
// carry them with the drop journal's totals: JSON members, Prometheus text
// format, and a section of mod_status's page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "counter_table.h"
#include "journal.h"
#include "status_section.h"
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

// Parent only: the row of `path` (a store in the request counters, a drop
// directory in the gauges), registered when new; -1 when the table is full
// or the path longer than kMaxCountedStoreBytes.
int path_row(lpweb::CounterTable& table, std::string_view path);
// Any process or thread: one finished request.
void count_request(const lpweb::CounterTable& table, int row, int status, std::uint64_t body_bytes);
RequestCounts request_counts(const lpweb::CounterTable& table, int row);

// The drop directory's gauges live in a second shared table: a row per drop
// directory (keyed by its path, registered by the parent only), written by
// its watcher, read by the status pages. Garbage there makes a gauge wrong,
// nothing else.
inline constexpr std::uint32_t kPendingColumn = 0;      // ready bundles, the one being ingested included
inline constexpr std::uint32_t kWatcherSeenColumn = 1;  // the watcher's last look, seconds since the epoch
// 64 drop directories per httpd; rows from path_row.
lpweb::CounterShape drop_gauge_shape();

// What the status outputs report of a store's drop directory.
struct DropMetrics {
  bool watched = false;           // LPIcingIncoming is set: the two gauges below are known
  std::uint64_t pending = 0;      // ready bundles waiting, the one being ingested included
  std::int64_t watcher_seen = 0;  // seconds since the epoch; 0: no watcher has looked yet
  DropState journal;              // the store's drop journal: totals since the store began
};
DropMetrics drop_metrics(const lpweb::CounterTable& gauges, int row, DropState journal);

// Statuses always reported (as 0 until seen), so a dashboard's series exist
// from the start; any other status appears once it has been counted.
inline constexpr int kAlwaysReportedStatuses[] = {200, 304, 404};

// Everything one store's status page shows.
struct StatusInputs {
  const StoreReport& report;
  const RequestCounts& counts;
  const DropMetrics& drop;
  const lpweb::BuildInfo& build;
};

// The status JSON: the store report (store_report.h, schema 1) with the
// counters, the drop directory and the build as its last members:
// ..., "requests": {"200": N, "304": N, "404": N, ...}, "requests_total": N, "bytes_sent": N,
// "drop": {"incoming_pending": N|null, "watcher_seen": T|null, "ingest": {"deployed": N, "unchanged": N,
//          "rejected": N, "error": N, "skipped": N, "pruned": N},
//          "last_success": T|null, "last_rejection": T|null,
//          "last_rejected_bundle": S|null, "last_rejection_reason": S|null},
// "build": {"version": S, "httpd": S}}
// (T: seconds since the epoch; null: never, or no drop directory).
std::string status_json(const StatusInputs& in);

// Prometheus text exposition format (version 0.0.4), metric names lpicing_*
// and lpweb_build_info.
std::string status_prometheus(const StatusInputs& in);

// mod_status's section for one store, titled by the server that names it
// (the status pages never show a path); every ?auto key ends in _SERVER, so
// several stores' lines stay apart.
lpweb::StatusSection status_section(const StatusInputs& in, std::string_view server_name);


}  // namespace lpicing
