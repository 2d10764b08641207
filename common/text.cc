// JSON strings and Prometheus label values, valid UTF-8 whatever the input.
#include "text.h"

#include <cstdio>

#include "hex.h"

namespace lpweb {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

// Appends `s` quoted: '"' and '\\' escaped with a backslash, each other
// control byte (and DEL) as `control(out, byte)` writes it, valid UTF-8 as
// is, and each byte of invalid UTF-8 as `invalid`.
template <typename Control>
void append_quoted(std::string& out, std::string_view s, Control control, std::string_view invalid) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = 1;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      control(out, c);
    } else if ((n = utf8_sequence_length(s, i)) == 0) {
      out.append(invalid);
      n = 1;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out.push_back('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  append_quoted(
      out, s,
      [](std::string& o, unsigned char c) {
        o.append("\\u00");
        o.push_back(kHexDigits[c >> 4]);
        o.push_back(kHexDigits[c & 15]);
      },
      "\\ufffd");
}

void append_prometheus_label_value(std::string& out, std::string_view s) {
  append_quoted(
      out, s, [](std::string& o, unsigned char c) { o.append(c == '\n' ? "\\n" : "?"); }, "\xEF\xBF\xBD");
}

void append_html_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = 1;
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default:
        if (c < 0x20 || c == 0x7f) break;
        if ((n = utf8_sequence_length(s, i)) == 0) {
          out.append("\xEF\xBF\xBD");
          n = 1;
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
}

bool wants_prometheus(std::string_view query) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    if (query.substr(0, amp) == "format=prometheus") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

std::string quote(std::string_view name) {
  std::string s = "\"";
  for (unsigned char c : name) {
    if (c == '"' || c == '\\') {
      s.push_back('\\');
      s.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      s += "\\x";
      append_hex(s, &c, 1);
    } else {
      s.push_back(static_cast<char>(c));
    }
  }
  s.push_back('"');
  return s;
}

std::string human_bytes(std::uint64_t n) {
  char buf[32];
  if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace lpweb
