#include "bodycache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using lpicing::BodyCache;
using lpicing::Sha256;

class BodyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lpweb-bodycache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << body;
    return path;
  }
  static Sha256 digest(std::uint8_t b) {
    Sha256 d{};
    d.fill(b);
    return d;
  }
  std::string dir_;
};

TEST_F(BodyCacheTest, MapsOnceAndServesTheFileBytes) {
  BodyCache cache;
  std::string f = write("a.css", "body { color: red }\n");
  auto first = cache.get(f, 20, digest(1));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(std::string(first->data(), first->size()), "body { color: red }\n");
  EXPECT_EQ(cache.get(f, 20, digest(1)), first);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.mapped_bytes(), 20u);
}

TEST_F(BodyCacheTest, SizeOtherThanTheIndexSaysIsNotCached) {
  BodyCache cache;
  std::string f = write("a.css", "12345");
  EXPECT_EQ(cache.get(f, 6, digest(1)), nullptr);
  EXPECT_EQ(cache.get(dir_ + "/missing.css", 5, digest(1)), nullptr);
  EXPECT_EQ(cache.entries(), 0u);
}

TEST_F(BodyCacheTest, EmptyAndLargeFilesAreLeftToTheFilePath) {
  BodyCache cache(/*max_file=*/8, /*max_total=*/100);
  EXPECT_EQ(cache.get(write("empty", ""), 0, digest(1)), nullptr);
  EXPECT_EQ(cache.get(write("big", "123456789"), 9, digest(1)), nullptr);
  EXPECT_NE(cache.get(write("small", "12345678"), 8, digest(1)), nullptr);
}

TEST_F(BodyCacheTest, ADifferentDigestIsADifferentBody) {
  // A revision pruned and deployed again under its id has a new INDEX entry.
  BodyCache cache;
  std::string f = write("a.js", "old");
  auto old_body = cache.get(f, 3, digest(1));
  ASSERT_NE(old_body, nullptr);
  std::filesystem::remove(f);
  write("a.js", "new");
  auto new_body = cache.get(f, 3, digest(2));
  ASSERT_NE(new_body, nullptr);
  EXPECT_EQ(std::string(new_body->data(), 3), "new");
  EXPECT_EQ(std::string(old_body->data(), 3), "old");  // still valid for whoever holds it
}

TEST_F(BodyCacheTest, LeastRecentlyUsedGoesFirstAndHeldBodiesStayValid) {
  BodyCache cache(/*max_file=*/10, /*max_total=*/20);
  std::string a = write("a", "aaaaaaaaaa"), b = write("b", "bbbbbbbbbb"), c = write("c", "cccccccccc");
  auto held_a = cache.get(a, 10, digest(1));
  ASSERT_NE(cache.get(b, 10, digest(1)), nullptr);
  ASSERT_NE(cache.get(a, 10, digest(1)), nullptr);  // a is now the most recent
  ASSERT_NE(cache.get(c, 10, digest(1)), nullptr);  // evicts b
  EXPECT_EQ(cache.entries(), 2u);
  EXPECT_EQ(cache.mapped_bytes(), 20u);
  EXPECT_EQ(cache.get(a, 10, digest(1)), held_a);
  auto held_c = cache.get(c, 10, digest(1));
  ASSERT_NE(cache.get(b, 10, digest(1)), nullptr);  // evicts a
  EXPECT_EQ(std::string(held_a->data(), 10), "aaaaaaaaaa");
  EXPECT_EQ(std::string(held_c->data(), 10), "cccccccccc");
}

TEST_F(BodyCacheTest, SweepDropsMappingsOfPrunedFiles) {
  BodyCache cache;
  std::string a = write("a", "aaaa"), b = write("b", "bbbb");
  ASSERT_NE(cache.get(a, 4, digest(1)), nullptr);
  ASSERT_NE(cache.get(b, 4, digest(1)), nullptr);
  std::filesystem::remove(a);
  cache.sweep();
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.mapped_bytes(), 4u);
}

}  // namespace

namespace {

// Revisions share unchanged files as hard links (the store's object pool):
// the cache keys on path and content, so neither a second name of an inode
// nor the same path in another revision ever gets a mapping that is not its own.
TEST_F(BodyCacheTest, PathsSharingAnInodeAreKeyedByPathAndContent) {
  BodyCache cache;
  std::filesystem::create_directories(dir_ + "/r1");
  std::filesystem::create_directories(dir_ + "/r2");
  std::string x = write("r1/a.css", "x { color: red }\n"), y = write("r1/b.css", "y { color: blue; }\n");
  // r2 swaps them: r2/a.css is r1/b.css's inode and the other way round.
  ASSERT_EQ(link(y.c_str(), (dir_ + "/r2/a.css").c_str()), 0);
  ASSERT_EQ(link(x.c_str(), (dir_ + "/r2/b.css").c_str()), 0);
  auto r1a = cache.get(x, 17, digest(1));
  auto r1b = cache.get(y, 19, digest(2));
  auto r2a = cache.get(dir_ + "/r2/a.css", 19, digest(2));
  auto r2b = cache.get(dir_ + "/r2/b.css", 17, digest(1));
  ASSERT_TRUE(r1a && r1b && r2a && r2b);
  EXPECT_EQ(std::string(r1a->data(), r1a->size()), "x { color: red }\n");
  EXPECT_EQ(std::string(r2a->data(), r2a->size()), "y { color: blue; }\n");
  EXPECT_EQ(std::string(r2b->data(), r2b->size()), "x { color: red }\n");
  EXPECT_EQ(cache.entries(), 4u);
  // The same path asked with another digest (a revision id deployed again with
  // other content) is not the older mapping.
  EXPECT_NE(cache.get(x, 17, digest(3)), r1a);
}

}  // namespace
