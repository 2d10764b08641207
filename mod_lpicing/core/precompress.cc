// Brotli and zlib one-shot compressors for deploy-time variants.
#include "precompress.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <cctype>

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

std::optional<std::string> brotli_compress(std::string_view data, bool font, int quality) {
  std::size_t out_size = BrotliEncoderMaxCompressedSize(data.size());
  if (out_size == 0) out_size = data.size() + 1024;
  std::string out(out_size, '\0');
  if (!BrotliEncoderCompress(quality, 22, font ? BROTLI_MODE_FONT : BROTLI_MODE_TEXT, data.size(),
                             reinterpret_cast<const uint8_t*>(data.data()), &out_size,
                             reinterpret_cast<uint8_t*>(out.data())))
    return std::nullopt;
  out.resize(out_size);
  return out;
}

std::optional<std::string> gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15+16: gzip wrapper; zlib writes mtime 0 and no name unless given a header.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t produced = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(produced);
  return out;
}

}  // namespace lpicing
