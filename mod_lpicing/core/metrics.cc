// Request counters per store, as rows of the shared counter table, and the
// status outputs built from them.
#include "metrics.h"

#include <algorithm>
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

lpweb::CounterShape request_counter_shape() {
  lpweb::CounterShape shape;
  shape.rows = 64;
  shape.columns = kBytesSentColumn + 1;
  shape.key_bytes = kMaxCountedStoreBytes + 1;
  return shape;
}

int store_row(lpweb::CounterTable& table, std::string_view store) {
  if (store.size() > kMaxCountedStoreBytes) return -1;
  return table.row_for(store);
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

std::string status_json(const StoreReport& report, const RequestCounts& counts) {
  lpweb::JsonWriter json;
  json.begin_object();
  write_store_report(json, report);
  json.key("requests").begin_object();
  for_each_reported(counts, [&](int status, std::uint64_t n) { json.member(status_label(status), n); });
  json.end_object();
  json.member("requests_total", counts.total()).member("bytes_sent", counts.bytes_sent);
  return json.end_object().finish();
}

std::string status_prometheus(const StoreReport& report, const RequestCounts& counts) {
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
  return out;
}

}  // namespace lpicing
