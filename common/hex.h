// Lower-case hex digits of bytes, and back: digests in INDEX, SHA256SUMS,
// ETags and messages all spell bytes this one way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lpweb {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// Appends two lower-case hex digits per byte.
inline void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHexDigits[bytes[i] >> 4]);
    out.push_back(kHexDigits[bytes[i] & 15]);
  }
}

// Writes two hex digits per byte at `out` (2 * n chars, no NUL).
inline void write_hex(char* out, const std::uint8_t* bytes, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
}

// One hex digit's value; -1 when `c` is none (upper case only when allowed).
inline int hex_value(char c, bool upper_ok = true) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (upper_ok && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly 2 * n hex digits into n bytes; false (out untouched) otherwise.
inline bool parse_hex(std::string_view hex, std::uint8_t* out, std::size_t n, bool upper_ok = true) {
  if (hex.size() != 2 * n) return false;
  for (std::size_t i = 0; i < 2 * n; ++i)
    if (hex_value(hex[i], upper_ok) < 0) return false;
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(hex_value(hex[2 * i], upper_ok) << 4 | hex_value(hex[2 * i + 1], upper_ok));
  return true;
}

}  // namespace lpweb
