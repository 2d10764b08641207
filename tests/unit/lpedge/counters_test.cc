// Unit tests of the shared redirect counters and their two output formats.
#include "counters.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace lpedge {
namespace {

TEST(Counters, RegisterIncrementReport) {
  std::vector<unsigned char> mem(CounterTable::bytes_for(4));
  ASSERT_TRUE(CounterTable::format(mem.data(), mem.size()));
  CounterTable t(mem.data());
  int a = t.slot_for("edge.example.net", 301);
  int b = t.slot_for("edge.example.net", 308);
  EXPECT_EQ(t.slot_for("edge.example.net", 301), a);
  EXPECT_NE(a, b);
  t.increment(a);
  t.increment(a);
  t.increment(b);
  EXPECT_EQ(t.count(a), 2u);
  EXPECT_EQ(status_json(t),
            "{\"redirects\":[{\"edge_host\":\"edge.example.net\",\"status\":301,\"count\":2},"
            "{\"edge_host\":\"edge.example.net\",\"status\":308,\"count\":1}],\"total\":3}\n");
  EXPECT_NE(status_prometheus(t).find("lpedge_redirects_total{edge_host=\"edge.example.net\",status=\"308\"} 1\n"),
            std::string::npos);
}

TEST(Counters, FullTableRefusesNewSlotsAndIgnoresBadIndices) {
  std::vector<unsigned char> mem(CounterTable::bytes_for(1));
  ASSERT_TRUE(CounterTable::format(mem.data(), mem.size()));
  CounterTable t(mem.data());
  EXPECT_EQ(t.slot_for("a.example", 301), 0);
  EXPECT_EQ(t.slot_for("b.example", 301), -1);
  t.increment(-1);
  t.increment(7);
  EXPECT_EQ(t.count(0), 0u);
  EXPECT_EQ(t.slot_for(std::string(300, 'a'), 301), -1);
}

TEST(Counters, UnformattedRegionIsInvalid) {
  std::vector<unsigned char> mem(CounterTable::bytes_for(1), 0);
  CounterTable t(mem.data());
  EXPECT_FALSE(t.valid());
  EXPECT_EQ(status_json(t), "{\"redirects\":[],\"total\":0}\n");
  EXPECT_EQ(CounterTable(nullptr).slot_for("a", 301), -1);
}

TEST(Counters, SummedAcrossForkedProcesses) {
  std::size_t bytes = CounterTable::bytes_for(2);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_TRUE(CounterTable::format(mem, bytes));
  int slot = CounterTable(mem).slot_for("edge.example.net", 301);
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = fork();
    if (pid == 0) {
      CounterTable t(mem);
      for (int i = 0; i < 10000; ++i) t.increment(slot);
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  EXPECT_EQ(CounterTable(mem).count(slot), 40000u);
  munmap(mem, bytes);
}

}  // namespace
}  // namespace lpedge
