// A bundle's text rules, apart from the archive reader: entry names,
// REVISION and SHA256SUMS (README, Bundles). The store re-checks INDEX
// entries with the same rules, and the fuzz targets feed them directly.
#include <utility>

#include "bundle.h"
#include "crypto.h"
#include "fsutil.h"
#include "text.h"

namespace lpicing {

using lpweb::rejected;

bool is_metadata_name(std::string_view name) {
  return name == kRevisionName || name == kSumsName || name == kSignatureName;
}

lpweb::Result<std::string> normalize_entry_name(std::string_view raw, bool is_directory) {
  std::string_view s = raw;
  if (s.empty()) return rejected("empty name");
  if (s.front() == '/') return rejected("name is absolute");
  if (s == "." || s == "./") {
    if (!is_directory) return rejected("name has a '.' component");
    return std::string();
  }
  if (s.substr(0, 2) == "./") s.remove_prefix(2);
  if (is_directory && !s.empty() && s.back() == '/') s.remove_suffix(1);
  if (s.size() > 1024) return rejected("name is longer than 1024 bytes");
  if (!lpweb::valid_utf8(s)) return rejected("name is not valid UTF-8");
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return rejected("name contains a control character");
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = s.find('/', start);
    std::string_view comp = s.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                            : slash - start);
    if (comp.empty()) return rejected("name has an empty component");
    if (comp == ".") return rejected("name has a '.' component");
    if (comp == "..") return rejected("name has a '..' component");
    if (comp.size() > 255) return rejected("name has a component longer than 255 bytes");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::string(s);
}

lpweb::Result<std::string> parse_revision_file(std::string_view bytes) {
  std::string_view r = bytes;
  if (!r.empty() && r.back() == '\n') r.remove_suffix(1);
  if (!is_valid_revision_id(r))
    return rejected("revision id " + quote(r) + " does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (one line expected)");
  return std::string(r);
}

lpweb::Result<std::map<std::string, Sha256>> parse_sha256sums(std::string_view text) {
  std::map<std::string, Sha256> out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos
                                                                          : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string where = "line " + std::to_string(line_no);
    // sha256sum marks a line whose name needed escaping with a leading backslash.
    bool escaped = !line.empty() && line.front() == '\\';
    if (escaped) line.remove_prefix(1);
    std::optional<Sha256> digest = line.size() < 67 ? std::nullopt : from_hex(line.substr(0, 64));
    if (!digest || line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
      return rejected(kSumsName, where + " is not \"<64 hex digits>  <path>\"");
    std::string path(line.substr(66));
    if (escaped) {
      std::string un;
      for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '\\' && i + 1 < path.size()) {
          char n = path[++i];
          un.push_back(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
        } else {
          un.push_back(path[i]);
        }
      }
      path = un;
    }
    lpweb::Result<std::string> normalized = normalize_entry_name(path, false);
    if (!normalized) return rejected(path, "SHA256SUMS " + where + ": " + normalized.error().message);
    const std::string& name = *normalized;
    if (name == kSumsName || name == kSignatureName)
      return rejected(name, "SHA256SUMS " + where + ": SHA256SUMS must not list itself or its signature");
    if (!out.emplace(name, *digest).second)
      return rejected(name, "SHA256SUMS " + where + ": listed twice in SHA256SUMS");
  }
  return out;
}

}  // namespace lpicing
