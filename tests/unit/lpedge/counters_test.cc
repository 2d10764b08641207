// Unit tests of the shared redirect counters and their two output formats.
#include "counters.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace lpedge {
namespace {

const lpweb::BuildInfo kBuild{"2.4.99"};

// The JSON's last member, for kBuild.
std::string build_json() {
  return std::string(", \"build\": {\"version\": \"") + lpweb::version() + "\", \"httpd\": \"2.4.99\"}";
}

// A registry in private memory and counters in `shared` (bytes of it).
struct Table {
  explicit Table(void* shared = nullptr, std::size_t bytes = 0)
      : registry(lpweb::CounterTable::registry_bytes(redirect_counter_shape())),
        own(lpweb::CounterTable::counter_bytes(redirect_counter_shape())) {
    lpweb::CounterTable::init_registry(registry.data(), redirect_counter_shape());
    table = shared ? lpweb::CounterTable(registry.data(), shared, bytes)
                   : lpweb::CounterTable(registry.data(), own.data(), own.size());
  }
  std::vector<unsigned char> registry, own;
  lpweb::CounterTable table;
};

TEST(Counters, RegisterIncrementReport) {
  Table t;
  int a = redirect_row(t.table, "edge.example.net", 301);
  int b = redirect_row(t.table, "edge.example.net", 308);
  EXPECT_EQ(redirect_row(t.table, "edge.example.net", 301), a);
  EXPECT_NE(a, b);
  t.table.add(a, 0);
  t.table.add(a, 0);
  t.table.add(b, 0);
  EXPECT_EQ(t.table.get(a, 0), 2u);
  EXPECT_EQ(status_json(t.table, kBuild),
            "{\"redirects\": [{\"edge_host\": \"edge.example.net\", \"status\": 301, \"count\": 2}, "
            "{\"edge_host\": \"edge.example.net\", \"status\": 308, \"count\": 1}], \"total\": 3" + build_json() + "}\n");
  EXPECT_NE(status_prometheus(t.table, kBuild).find("lpedge_redirects_total{edge_host=\"edge.example.net\",status=\"308\"} 1\n"),
            std::string::npos);
}

// Found by fuzz_counter_table: a key with bytes that are not UTF-8 went into
// both outputs raw. Only checked edge hosts are registered, but an output
// format must stay well-formed whatever its keys hold.
TEST(Counters, OutputsStayValidUtf8AndEscapedForAnyHostBytes) {
  Table t;
  t.table.add(redirect_row(t.table, "a\xff\xc3(b\x01\x7f\"\\\nc", 301), 0);
  t.table.add(redirect_row(t.table, "\xc3\xa9.example", 302), 0);
  EXPECT_EQ(status_json(t.table, kBuild),
            "{\"redirects\": [{\"edge_host\": \"a\\ufffd\\ufffd(b\\u0001\\u007f\\\"\\\\\\u000ac\", \"status\": 301, \"count\": 1}, "
            "{\"edge_host\": \"\xc3\xa9.example\", \"status\": 302, \"count\": 1}], \"total\": 2" + build_json() + "}\n");
  std::string text = status_prometheus(t.table, kBuild);
  EXPECT_NE(text.find("{edge_host=\"a\xef\xbf\xbd\xef\xbf\xbd(b??\\\"\\\\\\nc\",status=\"301\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("{edge_host=\"\xc3\xa9.example\",status=\"302\"} 1\n"), std::string::npos) << text;
}

TEST(Counters, PrometheusNamesTheBuild) {
  Table t;
  std::string text = status_prometheus(t.table, kBuild);
  EXPECT_NE(text.find("# TYPE lpweb_build_info gauge\nlpweb_build_info{version=\"" + std::string(lpweb::version()) +
                      "\",httpd=\"2.4.99\"} 1\n"),
            std::string::npos)
      << text;
}

// mod_status's section: the total, then a row per (edge host, status), every
// key usable in ?auto's "KEY: VALUE" lines and every text escaped in HTML.
TEST(Counters, StatusSectionHasTotalAndARowPerEdgeHostAndStatus) {
  Table t;
  t.table.add(redirect_row(t.table, "edge.example.net", 301), 0, 5);
  t.table.add(redirect_row(t.table, "<b>.example", 308), 0, 2);
  lpweb::StatusSection section = status_section(t.table);
  std::string text = lpweb::status_section_auto(section);
  EXPECT_NE(text.find("LPEdgeRedirectsTotal: 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("LPEdgeRedirects_edge.example.net_301: 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("LPEdgeRedirects__b_.example_308: 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("LPEdgeVersion: " + std::string(lpweb::version()) + "\n"), std::string::npos) << text;
  std::string html = lpweb::status_section_html(section);
  EXPECT_NE(html.find("&lt;b&gt;.example (308)"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos) << html;
}

TEST(Counters, FullTableRefusesNewSlotsAndIgnoresBadIndices) {
  Table t;
  for (std::uint32_t i = 0; i < redirect_counter_shape().rows; ++i)
    ASSERT_EQ(redirect_row(t.table, "h" + std::to_string(i) + ".example", 301), static_cast<int>(i));
  EXPECT_EQ(redirect_row(t.table, "one-too-many.example", 301), -1);
  t.table.add(-1, 0);
  t.table.add(static_cast<int>(redirect_counter_shape().rows), 0);
  t.table.add(0, 1);  // no such column
  EXPECT_EQ(t.table.get(0, 0), 0u);
  EXPECT_EQ(redirect_row(t.table, std::string(300, 'a'), 301), -1);
}

TEST(Counters, EmptyOrMissingTableCountsNothing) {
  Table t;
  EXPECT_EQ(status_json(t.table, kBuild), "{\"redirects\": [], \"total\": 0" + build_json() + "}\n");
  lpweb::CounterTable none;
  EXPECT_EQ(redirect_row(none, "a.example", 301), -1);
  EXPECT_EQ(status_json(none, kBuild), "{\"redirects\": [], \"total\": 0" + build_json() + "}\n");
  // A shared region too short for the shape is never touched.
  std::vector<std::uint64_t> tiny(1);
  Table short_region(tiny.data(), sizeof tiny[0]);
  int row = redirect_row(short_region.table, "edge.example.net", 301);
  short_region.table.add(row, 0);
  EXPECT_EQ(tiny[0], 0u);
  EXPECT_EQ(short_region.table.get(row, 0), 0u);
}

TEST(Counters, SummedAcrossForkedProcesses) {
  std::size_t bytes = lpweb::CounterTable::counter_bytes(redirect_counter_shape());
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  Table t(mem, bytes);
  int slot = redirect_row(t.table, "edge.example.net", 301);
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 10000; ++i) t.table.add(slot, 0);
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  EXPECT_EQ(t.table.get(slot, 0), 40000u);
  munmap(mem, bytes);
}

// What a child can write is nothing but counter values: garbage there makes
// counts wrong, while the keys (private) and every read stay in bounds.
TEST(Counters, GarbageInSharedMemoryOnlyChangesCounts) {
  std::size_t bytes = lpweb::CounterTable::counter_bytes(redirect_counter_shape());
  std::vector<unsigned char> shared(bytes);
  Table t(shared.data(), bytes);
  int row = redirect_row(t.table, "edge.example.net", 308);
  std::fill(shared.begin(), shared.end(), 0xff);
  EXPECT_EQ(t.table.get(row, 0), ~std::uint64_t{0});
  EXPECT_EQ(redirect_row(t.table, "edge.example.net", 308), row);
  EXPECT_NE(status_json(t.table, kBuild).find("\"edge_host\": \"edge.example.net\", \"status\": 308"), std::string::npos);
}

}  // namespace
}  // namespace lpedge
