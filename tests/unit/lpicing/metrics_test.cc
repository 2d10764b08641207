// mod_lpicing's shared request counters and the status formats carrying them
// (JSON members, Prometheus text), over plain memory instead of httpd's shm.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "metrics.h"

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
  int a = store_row(t.table, "/srv/icing");
  int b = store_row(t.table, "/srv/other");
  EXPECT_EQ(store_row(t.table, "/srv/icing"), a);
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
    ASSERT_EQ(store_row(t.table, "/s" + std::to_string(i)), static_cast<int>(i));
  EXPECT_EQ(store_row(t.table, "/one-too-many"), -1);
  Table fresh;
  EXPECT_EQ(store_row(fresh.table, std::string(kMaxCountedStoreBytes + 1, 'x')), -1);
  count_request(fresh.table, -1, 200, 1);
  count_request(fresh.table, 5, 200, 1);
  EXPECT_EQ(request_counts(fresh.table, 0).total(), 0u);
  lpweb::CounterTable none;
  count_request(none, 0, 200, 1);
  EXPECT_EQ(request_counts(none, 0).total(), 0u);
}

TEST(RequestCounterTable, ConcurrentAddsAreNotLost) {
  Table t;
  int slot = store_row(t.table, "/s");
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
  std::string json = status_json(report, counts);
  EXPECT_EQ(json.substr(0, plain.size() - 2), plain.substr(0, plain.size() - 2));
  EXPECT_NE(json.find(", \"requests\": {\"200\": 5, \"304\": 0, \"404\": 0, \"416\": 1}, \"requests_total\": 6, "
                      "\"bytes_sent\": 1234}\n"),
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
  std::string text = status_prometheus(two_revisions(), counts);
  EXPECT_NE(text.find("# TYPE lpicing_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_current_revision_info{revision=\"101\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_revisions 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_revision_deployed_timestamp_seconds{revision=\"100\"} 1700000000\n"), std::string::npos);
  EXPECT_NE(text.find("lpicing_requests_total{status=\"200\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_requests_total{status=\"304\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_requests_total{status=\"other\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_sent_bytes_total 77\n"), std::string::npos) << text;

  // Every line is a comment (HELP or TYPE of the family that follows) or `name{labels} value`.
  std::regex sample(R"(^(lpicing_[a-z_]+)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? [0-9]+$)");
  std::regex comment(R"(^# (HELP|TYPE) (lpicing_[a-z_]+) .+$)");
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

TEST(StatusPrometheus, NoCurrentRevisionMeansNoInfoSample) {
  StoreReport empty;
  std::string text = status_prometheus(empty, RequestCounts{});
  EXPECT_EQ(text.find("lpicing_current_revision_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("lpicing_revisions 0\n"), std::string::npos);
}

}  // namespace
}  // namespace lpicing
