// Fuzzes the query of a combo URL (PREFIX/+combo/rev<R>/?a.js&b%20c.js):
// parse_combo_query's split, limit and percent-decoding against an
// independent decoder written here, and parse_combo_path. Input: one byte
// for the member limit, then the raw query.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "combo.h"
#include "fuzz_check.h"

namespace {

using lpicing::ComboQueryStatus;

int hex_digit(unsigned char c) {
  static const std::string_view kDigits = "0123456789abcdef";
  unsigned char lower = c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c;
  std::size_t at = kDigits.find(static_cast<char>(lower));
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// What a servable member is, from the README's rules: relative, no empty,
// '.'-led or over-255-byte component, no control bytes or backslash, at most 1024 bytes.
bool servable(const std::string& path) {
  if (path.empty() || path.size() > 1024) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string component = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (component.empty() || component[0] == '.' || component.size() > 255) return false;
    for (unsigned char c : component)
      if (c < 0x20 || c == 0x7f || c == '\\') return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

// The expected result: the member count is checked first, then each member
// in order, each escape in order (a malformed one: 400; %2F or %00: 404).
ComboQueryStatus oracle(std::string_view query, std::size_t max_files, std::vector<std::string>* members) {
  members->clear();
  if (query.empty()) return ComboQueryStatus::not_found;
  std::vector<std::string_view> raw;
  for (std::size_t start = 0;;) {
    std::size_t amp = query.find('&', start);
    raw.push_back(query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  if (raw.size() > max_files) return ComboQueryStatus::bad_request;
  for (std::string_view r : raw) {
    std::string decoded;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (r[i] != '%') {
        decoded += r[i];
        continue;
      }
      if (r.size() - i < 3) return ComboQueryStatus::bad_request;
      int hi = hex_digit(static_cast<unsigned char>(r[i + 1])), lo = hex_digit(static_cast<unsigned char>(r[i + 2]));
      if (hi < 0 || lo < 0) return ComboQueryStatus::bad_request;
      int byte = hi << 4 | lo;
      if (byte == '/' || byte == 0) return ComboQueryStatus::not_found;
      decoded += static_cast<char>(byte);
      i += 2;
    }
    if (!servable(decoded)) return ComboQueryStatus::not_found;
    members->push_back(decoded);
  }
  return ComboQueryStatus::ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // 0..254 members, or the directive's largest value.
  const std::size_t max_files = data[0] == 255 ? 10000 : data[0];
  std::string_view query(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::string> members, expected;
  std::string why;
  ComboQueryStatus status = lpicing::parse_combo_query(query, max_files, &members, &why);
  CHECK(status == oracle(query, max_files, &expected));
  if (status == ComboQueryStatus::ok) {
    CHECK(why.empty());
    CHECK(members == expected);
    CHECK(!members.empty() && members.size() <= max_files);
    for (const std::string& m : members) {
      CHECK(lpicing::is_servable_file_path(m));
      CHECK(m.find('\0') == std::string::npos && m.front() != '/' && m.back() != '/');
      // A member names a file of the revision, so it is also a single-file URL path.
      CHECK(lpicing::combo_extension(m).find('/') == std::string::npos);
    }
  } else {
    CHECK(!why.empty());  // the debug log says why
  }

  // The same bytes as a path: only "/+combo/" and "/+combo/rev<R>/" are combos.
  lpicing::ComboPath path = lpicing::parse_combo_path(query);
  if (path.kind != lpicing::PathKind::not_found) {
    CHECK(lpicing::is_combo_path(query));
    CHECK(query.back() == '/');
    if (path.kind == lpicing::PathKind::current) CHECK(query == "/+combo/");
    if (path.kind == lpicing::PathKind::versioned) {
      CHECK(lpicing::is_valid_revision_id(path.revision));
      CHECK(query == "/+combo/rev" + std::string(path.revision) + "/");
    }
  }
  return 0;
}
