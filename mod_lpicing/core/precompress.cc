// Brotli and zlib one-shot compressors for deploy-time variants.
#include "precompress.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <cctype>
#include <new>

#include "mapped_memory.h"

namespace lpicing {

namespace {

std::string lower_extension(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::string ext(base.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

bool is_precompressible(std::string_view path) {
  static const char* const kTypes[] = {"css", "js",  "mjs", "svg", "json", "map", "html",
                                       "htm", "txt", "xml", "ico", "ttf",  "otf", "eot"};
  std::string ext = lower_extension(path);
  for (const char* t : kTypes)
    if (ext == t) return true;
  return false;
}

bool is_font(std::string_view path) {
  std::string ext = lower_extension(path);
  return ext == "ttf" || ext == "otf" || ext == "eot";
}

bool variant_worth_keeping(std::uint64_t original, std::uint64_t compressed) {
  if (compressed >= original) return false;
  std::uint64_t saved = original - compressed;
  return saved >= 64 && saved * 20 >= original;
}

namespace {

// The library's one-shot call, for the inputs it treats specially.
lpweb::Result<std::string> brotli_one_shot(std::string_view data, BrotliEncoderMode mode, int quality) {
  std::size_t out_size = BrotliEncoderMaxCompressedSize(data.size());
  if (out_size == 0) out_size = data.size() + 1024;
  std::string out(out_size, '\0');
  if (!BrotliEncoderCompress(quality, 22, mode, data.size(), reinterpret_cast<const uint8_t*>(data.data()), &out_size,
                             reinterpret_cast<uint8_t*>(out.data())))
    return lpweb::system_error("the brotli encoder failed");
  out.resize(out_size);
  out.shrink_to_fit();
  return out;
}

}  // namespace

// What BrotliEncoderCompress does (same parameters, one FINISH call, so the
// same bytes: tests compare the two), with the encoder's tables and the
// worst-case output buffer in mapped memory.
lpweb::Result<std::string> brotli_compress(std::string_view data, bool font, int quality) {
  const BrotliEncoderMode mode = font ? BROTLI_MODE_FONT : BROTLI_MODE_TEXT;
  const std::size_t max_size = BrotliEncoderMaxCompressedSize(data.size());
  // Empty input, quality 10's own path and inputs too large to bound: as the library does them.
  if (data.empty() || quality == 10 || max_size == 0) return brotli_one_shot(data, mode, quality);
  MappedBuffer out(max_size);
  BrotliEncoderState* s = BrotliEncoderCreateInstance(mapped_alloc, mapped_free, nullptr);
  if (!out.data() || !s) {
    if (s) BrotliEncoderDestroyInstance(s);
    throw std::bad_alloc();
  }
  BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(quality));
  BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, 22);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_MODE, static_cast<std::uint32_t>(mode));
  BrotliEncoderSetParameter(s, BROTLI_PARAM_SIZE_HINT, static_cast<std::uint32_t>(data.size()));
  std::size_t available_in = data.size(), available_out = max_size, total_out = 0;
  const auto* next_in = reinterpret_cast<const uint8_t*>(data.data());
  auto* next_out = reinterpret_cast<uint8_t*>(out.data());
  bool ok = BrotliEncoderCompressStream(s, BROTLI_OPERATION_FINISH, &available_in, &next_in, &available_out, &next_out,
                                        &total_out) &&
            BrotliEncoderIsFinished(s);
  BrotliEncoderDestroyInstance(s);
  // Failed or larger than the bound: the library then stores the input uncompressed.
  if (!ok || total_out > max_size) return brotli_one_shot(data, mode, quality);
  return std::string(out.data(), total_out);
}

lpweb::Result<std::string> gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  zs.zalloc = mapped_zalloc;
  zs.zfree = mapped_zfree;
  // windowBits 15+16: gzip wrapper; zlib writes mtime 0 and no name unless given a header.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return lpweb::system_error("zlib cannot start a gzip stream at level " + std::to_string(level));
  MappedBuffer out(deflateBound(&zs, data.size()) + 64);
  if (!out.data()) {
    deflateEnd(&zs);
    throw std::bad_alloc();
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t produced = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return lpweb::system_error("the gzip encoder failed (zlib " + std::to_string(rc) + ")");
  return std::string(out.data(), produced);
}

}  // namespace lpicing
