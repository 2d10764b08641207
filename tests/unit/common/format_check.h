// A source check for APR's formatter: ap_log_*error, apr_psprintf and the
// like do not know C99's length modifiers z, j and t (%zu, %jd, %td); gcc's
// format check accepts them and the arguments then shift (a crash at the first
// later %s). This finds the format strings of those calls in C/C++ source and
// names each such conversion by line.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpweb_test {

// The functions that format with apr_vformatter, their format string being the
// first argument that holds a string literal.
inline const std::vector<std::string>& apr_formatters() {
  static const std::vector<std::string> names = {
      "ap_log_error",   "ap_log_rerror",   "ap_log_cerror",  "ap_log_perror",      "ap_log_serror",
      "ap_log_error_",  "ap_log_rerror_",  "ap_log_cerror_", "ap_log_perror_",     "ap_log_serror_",
      "apr_psprintf",   "apr_pvsprintf",   "apr_snprintf",   "apr_vsnprintf",      "apr_vformatter",
      "apr_file_printf", "apr_brigade_printf", "apr_brigade_vprintf", "ap_rprintf", "ap_vrprintf",
      "ap_fprintf",     "ap_vfprintf",     "apr_strerror_fmt"};
  return names;
}

struct FormatFinding {
  int line = 0;            // 1-based line of the conversion
  std::string call;        // e.g. "ap_log_rerror"
  std::string conversion;  // e.g. "%zu"
};

namespace format_check_detail {

// The source with comments blanked out (newlines kept), so that calls and
// quotes inside comments are not seen; string and character literals kept.
inline std::string without_comments(std::string_view src) {
  std::string out(src);
  std::size_t i = 0, n = src.size();
  while (i < n) {
    char c = src[i];
    if (c == '/' && i + 1 < n && src[i + 1] == '/') {
      while (i < n && src[i] != '\n') out[i++] = ' ';
    } else if (c == '/' && i + 1 < n && src[i + 1] == '*') {
      out[i] = out[i + 1] = ' ';
      i += 2;
      while (i < n && !(src[i] == '*' && i + 1 < n && src[i + 1] == '/')) {
        if (src[i] != '\n') out[i] = ' ';
        ++i;
      }
      if (i < n) out[i] = out[i + 1] = ' ', i += 2;
    } else if (c == '"' || (c == '\'' && !(i > 0 && std::isalnum(static_cast<unsigned char>(src[i - 1]))))) {
      // A literal: skip to its end (a ' after a digit is a C++14 digit separator).
      ++i;
      while (i < n && src[i] != c && src[i] != '\n') i += src[i] == '\\' ? 2 : 1;
      ++i;
    } else {
      ++i;
    }
  }
  return out;
}

inline bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Each conversion in `fmt` with a z, j or t length modifier: {offset, conversion}.
inline std::vector<std::pair<std::size_t, std::string>> bad_conversions(const std::string& fmt) {
  std::vector<std::pair<std::size_t, std::string>> bad;
  std::size_t i = 0;
  while (i < fmt.size()) {
    if (fmt[i] != '%') {
      ++i;
      continue;
    }
    std::size_t start = i++;
    if (i < fmt.size() && fmt[i] == '%') {
      ++i;
      continue;
    }
    auto any_of = [&](std::string_view set) { return i < fmt.size() && set.find(fmt[i]) != std::string_view::npos; };
    while (any_of("-+ #0'")) ++i;       // flags
    while (any_of("0123456789*.")) ++i;  // width and precision
    bool flagged = false;
    while (any_of("hlqLjzt")) {         // length modifiers, APR's and C99's
      flagged = flagged || fmt[i] == 'j' || fmt[i] == 'z' || fmt[i] == 't';
      ++i;
    }
    if (i < fmt.size()) ++i;  // the conversion character
    if (flagged) bad.emplace_back(start, fmt.substr(start, i - start));
  }
  return bad;
}

}  // namespace format_check_detail

// Every conversion with a z, j or t length modifier in the format strings of
// APR formatter calls in `source`. A format string is the adjacent string
// literals of the call's first argument holding one; identifiers between them
// are macros such as APR_SIZE_T_FMT (APR's own, so safe) and read as "d".
// `calls`, if given, is increased by the number of calls examined.
inline std::vector<FormatFinding> check_format_strings(std::string_view source, int* calls = nullptr) {
  using namespace format_check_detail;
  const std::string src = without_comments(source);
  std::vector<int> line_of(src.size() + 1, 1);
  for (std::size_t i = 0, line = 1; i < src.size(); ++i) {
    line_of[i] = static_cast<int>(line);
    if (src[i] == '\n') ++line;
  }
  std::vector<FormatFinding> findings;
  const std::size_t n = src.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_ident_char(src[i]) || (i > 0 && is_ident_char(src[i - 1]))) continue;
    std::size_t end = i;
    while (end < n && is_ident_char(src[end])) ++end;
    std::string name = src.substr(i, end - i);
    bool known = false;
    for (const std::string& f : apr_formatters()) known = known || f == name;
    if (!known) {
      i = end - 1;
      continue;
    }
    std::size_t p = end;
    while (p < n && std::isspace(static_cast<unsigned char>(src[p]))) ++p;
    if (p >= n || src[p] != '(') continue;  // a declaration's name or a mention, not a call
    if (calls) ++*calls;
    // Walk the arguments; the first top-level argument holding a literal is the format.
    int depth = 0;
    bool format_started = false, format_done = false;
    std::string fmt;        // the literals of the current run of adjacent ones
    std::vector<int> line_at;  // the source line of each byte of fmt
    bool pending_macro = false;  // an identifier followed the last literal of the run
    auto flush = [&] {
      for (const auto& [offset, conversion] : bad_conversions(fmt)) findings.push_back({line_at[offset], name, conversion});
      fmt.clear();
      line_at.clear();
      pending_macro = false;
    };
    std::size_t q = p;
    for (; q < n; ++q) {
      char c = src[q];
      if (c == '"') {
        // A string literal: append its bytes (escapes kept as written; they never hold a '%').
        if (pending_macro) {
          fmt += "d";
          line_at.push_back(line_of[q]);
          pending_macro = false;
        }
        bool in_format = depth == 1 && !format_done;
        format_started = format_started || in_format;
        std::size_t r = q + 1;
        while (r < n && src[r] != '"' && src[r] != '\n') {
          std::size_t step = src[r] == '\\' ? 2 : 1;
          for (std::size_t k = 0; k < step && r + k < n; ++k) {
            if (in_format) {
              fmt.push_back(src[r + k]);
              line_at.push_back(line_of[r + k]);
            }
          }
          r += step;
        }
        q = r;
        continue;
      }
      if (c == '\'' && !(q > 0 && std::isalnum(static_cast<unsigned char>(src[q - 1])))) {
        ++q;
        while (q < n && src[q] != '\'' && src[q] != '\n') q += src[q] == '\\' ? 2 : 1;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c))) continue;
      if (is_ident_char(c) && !fmt.empty() && depth == 1) {
        // A macro between or after literals: APR_SIZE_T_FMT and kin.
        std::size_t e = q;
        while (e < n && is_ident_char(src[e])) ++e;
        std::size_t after = e;
        while (after < n && std::isspace(static_cast<unsigned char>(src[after]))) ++after;
        if (after < n && src[after] == '"') {
          pending_macro = true;
          q = e - 1;
          continue;
        }
        // Not followed by a literal: the run ends here (e.g. `cond ? "a" : "b"`).
        if (e - q > 4 && src.compare(e - 4, 4, "_FMT") == 0) {
          fmt += "d";
          line_at.push_back(line_of[q]);
        }
        flush();
        q = e - 1;
        continue;
      }
      // Anything else ends a run of adjacent literals.
      flush();
      if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        if (--depth == 0) break;
      } else if (c == ',' && depth == 1 && format_started) {
        format_done = true;
      }
    }
    flush();
    i = end - 1;
  }
  return findings;
}

}  // namespace lpweb_test
