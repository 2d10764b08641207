// The compressors: the same bytes as the libraries' one-shot calls (strong
// ETags of compressed combos promise the same bytes from every server and
// release), with their large buffers mapped and given back after.
#include <gtest/gtest.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <brotli/encode.h>

#include <random>
#include <string>

#include "decode.h"
#include "mapped_memory.h"
#include "precompress.h"

namespace {

using namespace lpicing;

std::string text(std::size_t bytes, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < bytes)
    out += "function f" + std::to_string(rng() % 5000) + "(a){return a*" + std::to_string(rng() % 97) + ";}\n";
  out.resize(bytes);
  return out;
}

std::string noise(std::size_t bytes, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(bytes, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string library_brotli(const std::string& in, int quality, BrotliEncoderMode mode) {
  std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
  if (size == 0) size = in.size() + 1024;
  std::string out(size, '\0');
  EXPECT_TRUE(BrotliEncoderCompress(quality, 22, mode, in.size(), reinterpret_cast<const uint8_t*>(in.data()), &size,
                                    reinterpret_cast<uint8_t*>(out.data())));
  out.resize(size);
  return out;
}

TEST(Precompress, BrotliBytesAreTheLibraryOneShotBytes) {
  for (int quality : {1, 5, 9, 10, 11}) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{300}, std::size_t{70000}, std::size_t{400000}}) {
      if (quality >= 10 && size > 70000) continue;  // slow, and no different path
      for (const std::string& in : {text(size, 7), noise(size, 7)}) {
        for (bool font : {false, true}) {
          lpweb::Result<std::string> ours = brotli_compress(in, font, quality);
          ASSERT_TRUE(ours) << quality << " " << size;
          EXPECT_EQ(*ours, library_brotli(in, quality, font ? BROTLI_MODE_FONT : BROTLI_MODE_TEXT))
              << "quality " << quality << ", " << size << " bytes, font " << font;
          EXPECT_EQ(lpweb_test::brotli_decode(*ours, size + 16), in);
        }
      }
    }
  }
}

TEST(Precompress, GzipRoundTripsAndIsDeterministic) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{70000}, std::size_t{1} << 20}) {
    std::string in = text(size, 3);
    lpweb::Result<std::string> a = gzip_compress(in, 6), b = gzip_compress(in, 6);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(lpweb_test::gzip_decode(*a), in);
    EXPECT_EQ(a->substr(4, 4), std::string(4, '\0'));  // mtime 0
  }
}

TEST(Precompress, ResultsHoldOnlyTheirBytes) {
  std::string in = text(1 << 20, 5);
  for (auto out : {brotli_compress(in, false, 5), gzip_compress(in, 6)}) {
    ASSERT_TRUE(out);
    EXPECT_LT(out->size(), in.size() / 3);
    EXPECT_LE(out->capacity(), out->size() + 64);  // not the worst-case buffer: the combo cache counts size()
  }
}

#ifdef __GLIBC__
// malloc would have kept the encoder's tables in this thread's arena; mapped,
// they are gone once the call returns.
TEST(Precompress, CompressingLeavesMallocArenasAsTheyWere) {
  std::string in = text(1 << 20, 9);
  ASSERT_TRUE(brotli_compress(in, false, 5));  // a first run warms malloc's thresholds
  ASSERT_TRUE(gzip_compress(in, 6));
  struct mallinfo2 before = mallinfo2();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(brotli_compress(in, false, 5));
    ASSERT_TRUE(gzip_compress(in, 6));
  }
  struct mallinfo2 after = mallinfo2();
  EXPECT_LT(after.arena + after.hblkhd, before.arena + before.hblkhd + (512u << 10));
}
#endif

TEST(MappedMemory, BlocksOfEitherKindAreUsableAndFreed) {
  for (std::size_t size : {std::size_t{1}, std::size_t{1000}, std::size_t{64} << 10, std::size_t{3} << 20}) {
    auto* p = static_cast<unsigned char*>(mapped_alloc(nullptr, size));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
    p[0] = 1;
    p[size - 1] = 2;
    mapped_free(nullptr, p);
  }
  mapped_free(nullptr, nullptr);
  EXPECT_EQ(mapped_alloc(nullptr, SIZE_MAX), nullptr);
  void* z = mapped_zalloc(nullptr, 1024, 128);
  ASSERT_NE(z, nullptr);
  mapped_zfree(nullptr, z);
  MappedBuffer buffer(5000);
  ASSERT_NE(buffer.data(), nullptr);
  EXPECT_EQ(buffer.size(), 5000u);
  EXPECT_EQ(buffer.data()[4999], 0);
  MappedBuffer empty(0);
  EXPECT_NE(empty.data(), nullptr);
}

}  // namespace
