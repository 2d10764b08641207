// Decoders the tests check compressed bodies with (the project itself only
// encodes): brotli and gzip back to the original bytes, or a marker string
// that no real body equals.
#pragma once

#include <brotli/decode.h>
#include <zlib.h>

#include <cstdint>
#include <string>

namespace lpweb_test {

inline std::string brotli_decode(const std::string& in, std::size_t limit = 64 << 20) {
  std::string out(limit, '\0');
  std::size_t size = out.size();
  if (BrotliDecoderDecompress(in.size(), reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                              reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_DECODER_RESULT_SUCCESS)
    return "<not brotli>";
  out.resize(size);
  return out;
}

// One complete gzip member and nothing after it.
inline std::string gzip_decode(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<zlib error>";
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  return rc == Z_STREAM_END && zs.avail_in == 0 ? out : "<not gzip>";
}

}  // namespace lpweb_test
