// mod_lpicing's shared request counters and the status formats carrying them
// (JSON members, Prometheus text), over plain memory instead of httpd's shm.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "metrics.h"
#include "text.h"

namespace lpicing {
namespace {

// A registry in private memory and the counters in plain (here unshared) memory.
struct Table {
  Table()
      : registry(lpweb::CounterTable::registry_bytes(request_counter_shape())),
        counters(lpweb::CounterTable::counter_bytes(request_counter_shape()) / 8) {
    lpweb::CounterTable::init_registry(registry.data(), request_counter_shape());
    table = lpweb::CounterTable(registry.data(), counters.data(), counters.size() * 8);
  }
  std::vector<unsigned char> registry;
  std::vector<std::uint64_t> counters;
  lpweb::CounterTable table;
};

const lpweb::BuildInfo kBuild{"2.4.99"};

std::string json_of(const StoreReport& report, const RequestCounts& counts, const DropMetrics& drop = {}) {
  return status_json(StatusInputs{report, counts, drop, kBuild});
}
std::string prometheus_of(const StoreReport& report, const RequestCounts& counts, const DropMetrics& drop = {}) {
  return status_prometheus(StatusInputs{report, counts, drop, kBuild});
}

// A drop directory that has seen one of each outcome, the last a rejection.
DropMetrics busy_drop() {
  DropMetrics drop;
  drop.watched = true;
  drop.pending = 2;
  drop.watcher_seen = 1700009000;
  auto at = [&](DropResult r) -> std::uint64_t& { return drop.journal.totals[static_cast<int>(r)]; };
  at(DropResult::deployed) = 4;
  at(DropResult::unchanged) = 1;
  at(DropResult::rejected) = 2;
  at(DropResult::set_aside) = 1;
  at(DropResult::error) = 3;
  at(DropResult::skipped) = 1;
  at(DropResult::pruned) = 6;
  drop.journal.last_success = 1700008000;
  drop.journal.last_rejection = 1700008500;
  drop.journal.last_rejected_bundle = "bad\"one.tar.gz";
  drop.journal.last_rejection_reason = "entry \"x/../y\": not a relative path";
  return drop;
}

StoreReport two_revisions() {
  StoreReport report;
  report.current = "101";
  RevisionReport a;
  a.revision = "101";
  a.header.file_count = 4;
  a.header.total_bytes = 9000;
  a.header.deployed = 1700003600;
  RevisionReport b = a;
  b.revision = "100";
  b.header.deployed = 1700000000;
  report.revisions = {a, b};
  return report;
}

TEST(RequestCounterTable, CountsPerStoreAndStatus) {
  Table t;
  int a = path_row(t.table, "/srv/icing");
  int b = path_row(t.table, "/srv/other");
  EXPECT_EQ(path_row(t.table, "/srv/icing"), a);
  EXPECT_NE(a, b);
  count_request(t.table, a, 200, 100);
  count_request(t.table, a, 200, 50);
  count_request(t.table, a, 304, 0);
  count_request(t.table, a, 999, 7);
  count_request(t.table, b, 404, 200);
  RequestCounts ca = request_counts(t.table, a);
  EXPECT_EQ(ca.of_status(200), 2u);
  EXPECT_EQ(ca.of_status(304), 1u);
  EXPECT_EQ(ca.of_status(404), 0u);
  EXPECT_EQ(ca.of_status(42), 1u);  // every out-of-range status is "other"
  EXPECT_EQ(ca.total(), 4u);
  EXPECT_EQ(ca.bytes_sent, 157u);
  EXPECT_EQ(request_counts(t.table, b).of_status(404), 1u);
}

TEST(RequestCounterTable, FullOrInvalidTablesCountNothingAndNeverCrash) {
  Table t;
  for (std::uint32_t i = 0; i < request_counter_shape().rows; ++i)
    ASSERT_EQ(path_row(t.table, "/s" + std::to_string(i)), static_cast<int>(i));
  EXPECT_EQ(path_row(t.table, "/one-too-many"), -1);
  Table fresh;
  EXPECT_EQ(path_row(fresh.table, std::string(kMaxCountedStoreBytes + 1, 'x')), -1);
  count_request(fresh.table, -1, 200, 1);
  count_request(fresh.table, 5, 200, 1);
  EXPECT_EQ(request_counts(fresh.table, 0).total(), 0u);
  lpweb::CounterTable none;
  count_request(none, 0, 200, 1);
  EXPECT_EQ(request_counts(none, 0).total(), 0u);
}

TEST(RequestCounterTable, ConcurrentAddsAreNotLost) {
  Table t;
  int slot = path_row(t.table, "/s");
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) count_request(t.table, slot, 200, 3);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(request_counts(t.table, slot).of_status(200), 40000u);
  EXPECT_EQ(request_counts(t.table, slot).bytes_sent, 120000u);
}

TEST(StatusJsonWithCounters, KeepsEveryStatusFieldAndAddsTheCounters) {
  RequestCounts counts;
  counts.by_status[200 - RequestCounts::kFirstStatus] = 5;
  counts.by_status[416 - RequestCounts::kFirstStatus] = 1;
  counts.bytes_sent = 1234;
  StoreReport report = two_revisions();
  std::string plain = store_report_json(report);
  std::string json = json_of(report, counts);
  EXPECT_EQ(json.substr(0, plain.size() - 2), plain.substr(0, plain.size() - 2));
  EXPECT_NE(json.find(", \"requests\": {\"200\": 5, \"304\": 0, \"404\": 0, \"416\": 1}, \"requests_total\": 6, "
                      "\"bytes_sent\": 1234, \"drop\": "),
            std::string::npos)
      << json;
  auto v = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(v.is_discarded()) << json;
  EXPECT_EQ(v.at("current"), "101");
  EXPECT_EQ(v.at("requests").at("416"), 1);
}

TEST(StatusPrometheus, FollowsTheTextFormat) {
  RequestCounts counts;
  counts.by_status[200 - RequestCounts::kFirstStatus] = 3;
  counts.by_status[RequestCounts::kStatuses] = 2;  // other
  counts.bytes_sent = 77;
  std::string text = prometheus_of(two_revisions(), counts, busy_drop());
  EXPECT_NE(text.find("# TYPE lpicing_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_current_revision_info{revision=\"101\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_revisions 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_revision_deployed_timestamp_seconds{revision=\"100\"} 1700000000\n"), std::string::npos);
  EXPECT_NE(text.find("lpicing_requests_total{status=\"200\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_requests_total{status=\"304\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_requests_total{status=\"other\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_sent_bytes_total 77\n"), std::string::npos) << text;

  // Every line is a comment (HELP or TYPE of the family that follows) or `name{labels} value`.
  std::regex sample(R"(^((lpicing|lpweb)_[a-z_]+)(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? [0-9]+$)");
  std::regex comment(R"(^# (HELP|TYPE) ((lpicing|lpweb)_[a-z_]+) .+$)");
  std::istringstream lines(text);
  std::string declared;
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, comment)) {
      declared = m[2];
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
      EXPECT_EQ(m[1], declared) << line;
      if (std::string(m[1]).find("_total") != std::string::npos) {
        EXPECT_NE(text.find("# TYPE " + std::string(m[1]) + " counter"), std::string::npos);
      }
      ++samples;
    }
  }
  EXPECT_GT(samples, 10);
}

TEST(StatusJsonWithCounters, CarriesTheDropDirectoryAndTheBuild) {
  auto v = nlohmann::json::parse(json_of(two_revisions(), RequestCounts{}, busy_drop()), nullptr, false);
  ASSERT_FALSE(v.is_discarded());
  const auto& drop = v.at("drop");
  EXPECT_EQ(drop.at("incoming_pending"), 2);
  EXPECT_EQ(drop.at("watcher_seen"), 1700009000);
  EXPECT_EQ(drop.at("ingest"), nlohmann::json::parse(R"({"deployed": 4, "unchanged": 1, "rejected": 3, "error": 3,
                                                         "skipped": 1, "pruned": 6})"));
  EXPECT_EQ(drop.at("last_success"), 1700008000);
  EXPECT_EQ(drop.at("last_rejection"), 1700008500);
  EXPECT_EQ(drop.at("last_rejected_bundle"), "bad\"one.tar.gz");
  EXPECT_EQ(drop.at("last_rejection_reason"), "entry \"x/../y\": not a relative path");
  EXPECT_EQ(v.at("build").at("version"), lpweb::version());
  EXPECT_EQ(v.at("build").at("httpd"), "2.4.99");
}

TEST(StatusJsonWithCounters, WithoutADropDirectoryPendingAndTimesAreNull) {
  auto v = nlohmann::json::parse(json_of(two_revisions(), RequestCounts{}), nullptr, false);
  ASSERT_FALSE(v.is_discarded());
  const auto& drop = v.at("drop");
  EXPECT_TRUE(drop.at("incoming_pending").is_null());
  EXPECT_TRUE(drop.at("watcher_seen").is_null());
  EXPECT_TRUE(drop.at("last_success").is_null());
  EXPECT_TRUE(drop.at("last_rejected_bundle").is_null());
  EXPECT_EQ(drop.at("ingest").at("deployed"), 0);
}

TEST(StatusPrometheus, CarriesTheDropDirectoryAndTheBuild) {
  std::string text = prometheus_of(two_revisions(), RequestCounts{}, busy_drop());
  for (const char* line : {"lpicing_ingest_total{result=\"deployed\"} 4\n", "lpicing_ingest_total{result=\"unchanged\"} 1\n",
                           "lpicing_ingest_total{result=\"rejected\"} 3\n", "lpicing_ingest_total{result=\"error\"} 3\n",
                           "lpicing_ingest_total{result=\"skipped\"} 1\n", "lpicing_ingest_pruned_revisions_total 6\n",
                           "lpicing_ingest_last_success_timestamp_seconds 1700008000\n",
                           "lpicing_ingest_last_rejection_timestamp_seconds 1700008500\n",
                           "lpicing_ingest_last_rejection_info{bundle=\"bad\\\"one.tar.gz\",reason=\"entry \\\"x/../y\\\": not a "
                           "relative path\"} 1\n",
                           "lpicing_incoming_pending 2\n", "lpicing_watcher_last_seen_timestamp_seconds 1700009000\n",
                           "# TYPE lpweb_build_info gauge\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_NE(text.find("lpweb_build_info{version=\"" + std::string(lpweb::version()) + "\",httpd=\"2.4.99\"} 1\n"),
            std::string::npos);
}

TEST(StatusPrometheus, WithoutADropDirectoryNoPendingGaugeAndNoRejectionSample) {
  std::string text = prometheus_of(two_revisions(), RequestCounts{});
  EXPECT_EQ(text.find("lpicing_incoming_pending"), std::string::npos) << text;
  EXPECT_EQ(text.find("lpicing_ingest_last_rejection_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_ingest_total{result=\"deployed\"} 0\n"), std::string::npos) << text;
}

// The gauges come from memory children share: a clock reading out of range is no time at all.
TEST(DropGauges, ReadBackAndGarbageTimeIsNever) {
  std::vector<unsigned char> registry(lpweb::CounterTable::registry_bytes(drop_gauge_shape()));
  std::vector<std::uint64_t> cells(lpweb::CounterTable::counter_bytes(drop_gauge_shape()) / 8);
  lpweb::CounterTable::init_registry(registry.data(), drop_gauge_shape());
  lpweb::CounterTable table(registry.data(), cells.data(), cells.size() * 8);
  int row = path_row(table, "/srv/incoming");
  ASSERT_GE(row, 0);
  table.set(row, kPendingColumn, 3);
  table.set(row, kWatcherSeenColumn, 1700000123);
  DropMetrics m = drop_metrics(table, row, DropState{});
  EXPECT_TRUE(m.watched);
  EXPECT_EQ(m.pending, 3u);
  EXPECT_EQ(m.watcher_seen, 1700000123);
  table.set(row, kWatcherSeenColumn, ~std::uint64_t{0});
  EXPECT_EQ(drop_metrics(table, row, DropState{}).watcher_seen, 0);
  EXPECT_FALSE(drop_metrics(table, -1, DropState{}).watched);
}

TEST(StatusSection, NamesTheServerAndCarriesRevisionsRequestsAndDrops) {
  RequestCounts counts;
  counts.by_status[200 - RequestCounts::kFirstStatus] = 9;
  DropMetrics drop = busy_drop();
  lpweb::StatusSection section = status_section(StatusInputs{two_revisions(), counts, drop, kBuild}, "www.example.net");
  std::string text = lpweb::status_section_auto(section);
  for (const char* line :
       {"LPIcingServer_www.example.net: www.example.net\n", "LPIcingCurrentRevision_www.example.net: 101\n",
        "LPIcingRevisions_www.example.net: 2\n", "LPIcingRevisionList_www.example.net: 101 100\n",
        "LPIcingRequestsTotal_www.example.net: 9\n", "LPIcingRequests200_www.example.net: 9\n",
        "LPIcingIngestDeployed_www.example.net: 4\n", "LPIcingIngestRejected_www.example.net: 3\n",
        "LPIcingIngestError_www.example.net: 3\n", "LPIcingIncomingPending_www.example.net: 2\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_NE(text.find("LPIcingLastRejection_www.example.net: 2023-11-15T00:35:00Z bad\"one.tar.gz: entry"),
            std::string::npos)
      << text;
  // Every key names its server: two stores' lines never collide.
  for (std::string_view line : lpweb::split(text, '\n')) {
    if (line.empty()) continue;
    EXPECT_NE(line.find("_www.example.net: "), std::string::npos) << line;
  }
  std::string html = lpweb::status_section_html(section);
  EXPECT_NE(html.find("<h2>mod_lpicing store of www.example.net</h2>"), std::string::npos) << html;
  EXPECT_NE(html.find("bad&quot;one.tar.gz"), std::string::npos) << html;
}

TEST(StatusPrometheus, NoCurrentRevisionMeansNoInfoSample) {
  StoreReport empty;
  std::string text = prometheus_of(empty, RequestCounts{});
  EXPECT_EQ(text.find("lpicing_current_revision_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_revisions 0\n"), std::string::npos);
}

}  // namespace
}  // namespace lpicing
