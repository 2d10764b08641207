// Request counters per store, as rows of the shared counter table, and the
// status outputs built from them.
#include "metrics.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

#include "text.h"

namespace lpicing {
namespace {

int status_index(int status) {
  if (status < RequestCounts::kFirstStatus || status >= RequestCounts::kFirstStatus + RequestCounts::kStatuses)
    return RequestCounts::kStatuses;
  return status - RequestCounts::kFirstStatus;
}

bool always_reported(int status) {
  return std::find(std::begin(kAlwaysReportedStatuses), std::end(kAlwaysReportedStatuses), status) !=
         std::end(kAlwaysReportedStatuses);
}

// Visits the statuses to report, in ascending order, "other" (status 0) last.
template <typename F>
void for_each_reported(const RequestCounts& counts, F&& visit) {
  for (int i = 0; i < RequestCounts::kStatuses; ++i) {
    int status = RequestCounts::kFirstStatus + i;
    if (counts.by_status[i] != 0 || always_reported(status)) visit(status, counts.by_status[i]);
  }
  if (counts.by_status[RequestCounts::kStatuses] != 0) visit(0, counts.by_status[RequestCounts::kStatuses]);
}

// Both shared tables: 64 rows keyed by a path (a store, a drop directory).
lpweb::CounterShape path_keyed_shape(std::uint32_t columns) {
  lpweb::CounterShape shape;
  shape.rows = 64;
  shape.columns = columns;
  shape.key_bytes = kMaxCountedStoreBytes + 1;
  return shape;
}

// lpicing_ingest_total's results; a bundle set aside counts as rejected.
constexpr const char* kIngestLabels[] = {"deployed", "unchanged", "rejected", "error", "skipped"};

std::uint64_t ingest_count(const DropState& s, std::string_view label) {
  auto total = [&](DropResult r) { return s.totals[static_cast<int>(r)]; };
  if (label == "deployed") return total(DropResult::deployed);
  if (label == "unchanged") return total(DropResult::unchanged);
  if (label == "rejected") return total(DropResult::rejected) + total(DropResult::set_aside);
  if (label == "error") return total(DropResult::error);
  return total(DropResult::skipped);
}

// A time, or null for "never".
void time_member(lpweb::JsonWriter& json, std::string_view name, std::int64_t t) {
  json.key(name);
  if (t > 0) json.value(t); else json.null();
}

void text_member(lpweb::JsonWriter& json, std::string_view name, const std::string& text, bool known) {
  json.key(name);
  if (known) json.value(text); else json.null();
}

std::string status_label(int status) { return status == 0 ? "other" : std::to_string(status); }

// Label values per the exposition format, escaped (common/text.h).
void append_label_value(std::string& out, std::string_view s) { lpweb::append_prometheus_label_value(out, s); }

void append_family(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_revision_gauge(std::string& out, const char* name, const char* help, const StoreReport& report,
                           std::string (*value)(const RevisionReport&)) {
  append_family(out, name, "gauge", help);
  for (const RevisionReport& r : report.revisions) {
    out.append(name).append("{revision=");
    append_label_value(out, r.revision);
    out.append("} ").append(value(r)).append("\n");
  }
}

}  // namespace

std::uint64_t RequestCounts::of_status(int status) const { return by_status[status_index(status)]; }

std::uint64_t RequestCounts::total() const {
  std::uint64_t sum = 0;
  for (std::uint64_t n : by_status) sum += n;
  return sum;
}

lpweb::CounterShape request_counter_shape() { return path_keyed_shape(kBytesSentColumn + 1); }

int path_row(lpweb::CounterTable& table, std::string_view path) {
  if (path.size() > kMaxCountedStoreBytes) return -1;
  return table.row_for(path);
}

void count_request(const lpweb::CounterTable& table, int row, int status, std::uint64_t body_bytes) {
  table.add(row, static_cast<std::uint32_t>(status_index(status)));
  if (body_bytes) table.add(row, kBytesSentColumn, body_bytes);
}

RequestCounts request_counts(const lpweb::CounterTable& table, int row) {
  RequestCounts c;
  for (int i = 0; i <= RequestCounts::kStatuses; ++i) c.by_status[i] = table.get(row, static_cast<std::uint32_t>(i));
  c.bytes_sent = table.get(row, kBytesSentColumn);
  return c;
}

lpweb::CounterShape drop_gauge_shape() { return path_keyed_shape(kWatcherSeenColumn + 1); }

DropMetrics drop_metrics(const lpweb::CounterTable& gauges, int row, DropState journal) {
  DropMetrics m;
  m.watched = row >= 0;
  m.pending = gauges.get(row, kPendingColumn);
  // A clock reading from shared memory: anything past the 64-bit signed range is garbage.
  std::uint64_t seen = gauges.get(row, kWatcherSeenColumn);
  m.watcher_seen = seen > static_cast<std::uint64_t>(INT64_MAX) ? 0 : static_cast<std::int64_t>(seen);
  m.journal = std::move(journal);
  return m;
}

std::string status_json(const StatusInputs& in) {
  const RequestCounts& counts = in.counts;
  const DropMetrics& drop = in.drop;
  lpweb::JsonWriter json;
  json.begin_object();
  write_store_report(json, in.report);
  json.key("requests").begin_object();
  for_each_reported(counts, [&](int status, std::uint64_t n) { json.member(status_label(status), n); });
  json.end_object();
  json.member("requests_total", counts.total()).member("bytes_sent", counts.bytes_sent);
  json.key("drop").begin_object();
  json.key("incoming_pending");
  if (drop.watched) json.value(drop.pending); else json.null();
  time_member(json, "watcher_seen", drop.watched ? drop.watcher_seen : 0);
  json.key("ingest").begin_object();
  for (const char* label : kIngestLabels) json.member(label, ingest_count(drop.journal, label));
  json.member("pruned", drop.journal.totals[static_cast<int>(DropResult::pruned)]).end_object();
  time_member(json, "last_success", drop.journal.last_success);
  time_member(json, "last_rejection", drop.journal.last_rejection);
  bool rejected = drop.journal.last_rejection > 0;
  text_member(json, "last_rejected_bundle", drop.journal.last_rejected_bundle, rejected);
  text_member(json, "last_rejection_reason", drop.journal.last_rejection_reason, rejected);
  json.end_object();
  lpweb::write_build_info(json, in.build);
  return json.end_object().finish();
}

std::string status_prometheus(const StatusInputs& in) {
  const StoreReport& report = in.report;
  const RequestCounts& counts = in.counts;
  const DropMetrics& drop = in.drop;
  std::string out;
  out.reserve(1024 + report.revisions.size() * 256);
  append_family(out, "lpicing_current_revision_info", "gauge",
                "The revision unversioned icing URLs are served from (no sample when there is none).");
  if (!report.current.empty()) {
    out.append("lpicing_current_revision_info{revision=");
    append_label_value(out, report.current);
    out.append("} 1\n");
  }
  append_family(out, "lpicing_revisions", "gauge", "Revisions present in the store and servable.");
  out.append("lpicing_revisions ").append(std::to_string(report.revisions.size())).append("\n");
  append_revision_gauge(out, "lpicing_revision_files", "Files of a revision present in the store.", report,
                        [](const RevisionReport& r) { return std::to_string(r.header.file_count); });
  append_revision_gauge(out, "lpicing_revision_bytes", "Bytes of a revision's files (uncompressed).", report,
                        [](const RevisionReport& r) { return std::to_string(r.header.total_bytes); });
  append_revision_gauge(out, "lpicing_revision_deployed_timestamp_seconds",
                        "When a revision was deployed, seconds since the epoch.", report,
                        [](const RevisionReport& r) { return std::to_string(r.header.deployed); });
  append_family(out, "lpicing_revision_errors", "gauge",
                "Entries of the store's revisions directory that cannot be served (see the JSON status).");
  out.append("lpicing_revision_errors ").append(std::to_string(report.errors.size())).append("\n");
  append_family(out, "lpicing_requests_total", "counter",
                "Requests for icing URLs by final status, summed over all httpd children since start.");
  for_each_reported(counts, [&](int status, std::uint64_t n) {
    out.append("lpicing_requests_total{status=\"").append(status_label(status)).append("\"} ");
    out.append(std::to_string(n)).append("\n");
  });
  append_family(out, "lpicing_sent_bytes_total", "counter",
                "Response body bytes sent for icing URLs, summed over all httpd children since start.");
  out.append("lpicing_sent_bytes_total ").append(std::to_string(counts.bytes_sent)).append("\n");
  append_family(out, "lpicing_ingest_total", "counter",
                "Bundles the drop directory's ingest handled, by result, since the store began.");
  for (const char* label : kIngestLabels) {
    out.append("lpicing_ingest_total{result=\"").append(label).append("\"} ");
    out.append(std::to_string(ingest_count(drop.journal, label))).append("\n");
  }
  append_family(out, "lpicing_ingest_pruned_revisions_total", "counter",
                "Revisions the drop directory's ingest pruned, since the store began.");
  out.append("lpicing_ingest_pruned_revisions_total ")
      .append(std::to_string(drop.journal.totals[static_cast<int>(DropResult::pruned)]))
      .append("\n");
  append_family(out, "lpicing_ingest_last_success_timestamp_seconds", "gauge",
                "When the drop directory last deployed a bundle (or found it already deployed); 0: never.");
  out.append("lpicing_ingest_last_success_timestamp_seconds ")
      .append(std::to_string(drop.journal.last_success))
      .append("\n");
  append_family(out, "lpicing_ingest_last_rejection_timestamp_seconds", "gauge",
                "When the drop directory last rejected or skipped a bundle; 0: never.");
  out.append("lpicing_ingest_last_rejection_timestamp_seconds ")
      .append(std::to_string(drop.journal.last_rejection))
      .append("\n");
  append_family(out, "lpicing_ingest_last_rejection_info", "gauge",
                "The bundle last rejected or skipped, and why (no sample before the first).");
  if (drop.journal.last_rejection > 0) {
    out.append("lpicing_ingest_last_rejection_info{bundle=");
    append_label_value(out, drop.journal.last_rejected_bundle);
    out.append(",reason=");
    append_label_value(out, drop.journal.last_rejection_reason);
    out.append("} 1\n");
  }
  if (drop.watched) {
    append_family(out, "lpicing_incoming_pending", "gauge",
                  "Bundles waiting in the drop directory, the one being ingested included.");
    out.append("lpicing_incoming_pending ").append(std::to_string(drop.pending)).append("\n");
    append_family(out, "lpicing_watcher_last_seen_timestamp_seconds", "gauge",
                  "When the drop directory's watcher last looked at it (every second while it runs); 0: never.");
    out.append("lpicing_watcher_last_seen_timestamp_seconds ").append(std::to_string(drop.watcher_seen)).append("\n");
  }
  lpweb::append_build_info_prometheus(out, in.build);
  return out;
}

lpweb::StatusSection status_section(const StatusInputs& in, std::string_view server_name) {
  const DropMetrics& drop = in.drop;
  lpweb::StatusSection section;
  section.title = "mod_lpicing store of " + std::string(server_name);
  // Every ?auto key ends in _SERVER: with several stores, each keeps its own lines.
  const std::string of = "_" + std::string(server_name);
  section.add("LPIcingServer" + of, "Server", std::string(server_name));
  section.add("LPIcingVersion" + of, "lpweb version", lpweb::version());
  section.add("LPIcingCurrentRevision" + of, "Current revision",
              in.report.current.empty() ? "none" : in.report.current);
  std::string present;
  for (const RevisionReport& r : in.report.revisions) present += (present.empty() ? "" : " ") + r.revision;
  section.add("LPIcingRevisions" + of, "Revisions present", std::to_string(in.report.revisions.size()));
  section.add("LPIcingRevisionList" + of, "Revisions", present.empty() ? "none" : present);
  section.add("LPIcingRequestsTotal" + of, "Requests", std::to_string(in.counts.total()));
  for (int status : kAlwaysReportedStatuses)
    section.add("LPIcingRequests" + std::to_string(status) + of, "Requests answered " + std::to_string(status),
                std::to_string(in.counts.of_status(status)));
  section.add("LPIcingSentBytes" + of, "Body bytes sent", std::to_string(in.counts.bytes_sent));
  for (const char* label : kIngestLabels) {
    std::string key = label;
    key[0] = static_cast<char>(key[0] - 'a' + 'A');
    section.add("LPIcingIngest" + key + of, std::string("Drops ") + label,
                std::to_string(ingest_count(drop.journal, label)));
  }
  if (drop.watched) section.add("LPIcingIncomingPending" + of, "Drops waiting", std::to_string(drop.pending));
  if (drop.journal.last_rejection > 0)
    section.add("LPIcingLastRejection" + of, "Last rejection",
                iso8601_utc(drop.journal.last_rejection) + " " + drop.journal.last_rejected_bundle + ": " +
                    drop.journal.last_rejection_reason);
  return section;
}

}  // namespace lpicing
