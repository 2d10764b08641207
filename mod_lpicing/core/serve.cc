// Serving decisions of mod_lpicing, kept free of httpd so they can be tested
// (and fuzzed) alone: request paths, content negotiation and header values.
#include "serve.h"

#include "hex.h"
#include "store_layout.h"

namespace lpicing {
namespace {

constexpr std::size_t kMaxFilePathBytes = 1024;
constexpr std::size_t kMaxComponentBytes = 255;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_servable_file_path(std::string_view path) noexcept {
  if (path.empty() || path.size() > kMaxFilePathBytes) return false;
  std::size_t component_start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      // Empty covers "//" and a trailing slash (directories); a leading dot
      // covers ".", ".." and hidden files.
      if (i == component_start || path[component_start] == '.') return false;
      if (i - component_start > kMaxComponentBytes) return false;
      component_start = i + 1;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  }
  return true;
}

namespace {

// ---- Accept-Encoding ----

bool is_ows(char c) { return c == ' ' || c == '\t'; }

bool is_tchar(char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths.
bool parse_qvalue(std::string_view s, int* out) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return false;
  int value = (s[0] - '0') * 1000;
  if (s.size() == 1) return *out = value, true;
  if (s[1] != '.' || s.size() > 5) return false;
  int scale = 100;
  for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
    if (s[i] < '0' || s[i] > '9') return false;
    value += (s[i] - '0') * scale;
  }
  if (value > 1000) return false;
  *out = value;
  return true;
}

// Parses one list member "coding *( OWS ';' OWS [ name '=' value ] )". False
// when malformed; *q is 1000 unless a q parameter says otherwise.
bool parse_member(std::string_view member, std::string_view* coding, int* q) {
  std::size_t i = 0;
  while (i < member.size() && is_tchar(member[i])) ++i;
  if (i == 0) return false;
  *coding = member.substr(0, i);
  *q = 1000;
  bool seen_q = false;
  while (true) {
    while (i < member.size() && is_ows(member[i])) ++i;
    if (i == member.size()) return true;
    if (member[i] != ';') return false;
    ++i;
    while (i < member.size() && is_ows(member[i])) ++i;
    if (i == member.size() || member[i] == ';') continue;  // empty parameter
    std::size_t name_start = i;
    while (i < member.size() && is_tchar(member[i])) ++i;
    std::string_view name = member.substr(name_start, i - name_start);
    if (name.empty() || i == member.size() || member[i] != '=') return false;
    ++i;
    std::size_t value_start = i;
    if (i < member.size() && member[i] == '"') {
      // quoted-string: legal for other parameters, never for q
      ++i;
      while (i < member.size() && member[i] != '"') i += member[i] == '\\' ? 2 : 1;
      if (i >= member.size()) return false;
      ++i;
      if (iequals(name, "q")) return false;
      continue;
    }
    while (i < member.size() && is_tchar(member[i])) ++i;
    std::string_view value = member.substr(value_start, i - value_start);
    if (value.empty()) return false;
    if (iequals(name, "q")) {
      if (seen_q || !parse_qvalue(value, q)) return false;
      seen_q = true;
    }
  }
}

// Index of the ',' ending the list member that starts at `pos` (or the end),
// skipping commas inside a quoted-string parameter value.
std::size_t end_of_member(std::string_view list, std::size_t pos) {
  bool quoted = false;
  for (std::size_t i = pos; i < list.size(); ++i) {
    char c = list[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      return i;
    }
  }
  return list.size();
}

}  // namespace

RequestPath parse_request_path(std::string_view path) noexcept {
  if (path.empty() || path[0] != '/') return {};
  std::string_view rest = path.substr(1);
  RequestPath out;
  out.kind = PathKind::current;
  std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos && rest.substr(0, 3) == "rev") {
    std::string_view id = rest.substr(3, slash - 3);
    if (!is_valid_revision_id(id)) return {};
    out.kind = PathKind::versioned;
    out.revision = id;
    rest.remove_prefix(slash + 1);
  }
  if (!is_servable_file_path(rest)) return {};
  out.file = rest;
  return out;
}

Encoding negotiate_encoding(std::string_view accept_encoding, bool have_br, bool have_gzip) noexcept {
  // -1: not mentioned; else q in thousandths.
  int q_br = -1, q_gzip = -1, q_identity = -1, q_star = -1;
  std::size_t pos = 0;
  while (pos <= accept_encoding.size()) {
    std::size_t comma = end_of_member(accept_encoding, pos);
    std::string_view member = trim_ows(accept_encoding.substr(pos, comma - pos));
    pos = comma + 1;
    std::string_view coding;
    int q = 0;
    if (member.empty() || !parse_member(member, &coding, &q)) continue;
    int* slot = nullptr;
    if (iequals(coding, "br")) {
      slot = &q_br;
    } else if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      slot = &q_gzip;
    } else if (iequals(coding, "identity")) {
      slot = &q_identity;
    } else if (coding == "*") {
      slot = &q_star;
    }
    if (slot && *slot < 0) *slot = q;
  }

  auto effective = [&](int listed) { return listed >= 0 ? listed : (q_star >= 0 ? q_star : 0); };
  // Unmentioned identity is acceptable but the least preferred: q of 0.001,
  // which any listed coding with q>0 equals or beats (and ties go to it).
  int best_q = q_identity >= 0 ? q_identity : (q_star >= 0 ? q_star : 1);
  Encoding best = Encoding::identity;
  if (have_gzip) {
    int q = effective(q_gzip);
    if (q > 0 && q >= best_q) best = Encoding::gzip, best_q = q;
  }
  if (have_br) {
    int q = effective(q_br);
    if (q > 0 && q >= best_q) best = Encoding::br, best_q = q;
  }
  return best;
}

const Variant* choose_variant(const IndexEntry& entry, std::string_view accept_encoding) noexcept {
  if (entry.variants.empty()) return nullptr;
  const Variant* br = nullptr;
  const Variant* gzip = nullptr;
  for (const Variant& v : entry.variants) {
    if (v.encoding == Encoding::br) br = &v;
    if (v.encoding == Encoding::gzip) gzip = &v;
  }
  switch (negotiate_encoding(accept_encoding, br != nullptr, gzip != nullptr)) {
    case Encoding::br: return br;
    case Encoding::gzip: return gzip;
    case Encoding::identity: break;
  }
  return nullptr;
}

std::string_view content_encoding(Encoding encoding) noexcept {
  switch (encoding) {
    case Encoding::br: return "br";
    case Encoding::gzip: return "gzip";
    case Encoding::identity: break;
  }
  return {};
}

std::array<char, kETagLength + 1> format_etag(const Sha256& sha256) noexcept {
  std::array<char, kETagLength + 1> out{};
  out[0] = '"';
  lpweb::write_hex(out.data() + 1, sha256.data(), 16);
  out[kETagLength - 1] = '"';
  out[kETagLength] = '\0';
  return out;
}

std::string cache_control_current(std::int64_t max_age) {
  return "public, max-age=" + std::to_string(max_age < 0 ? 0 : max_age);
}

// ---- One request ----

ResolvedFile resolve_request(IndexCache& cache, std::string_view store_dir, std::string_view path,
                             std::string_view accept_encoding) {
  ResolvedFile out;
  RequestPath request = parse_request_path(path);
  if (request.kind == PathKind::not_found) return out;
  out.kind = request.kind;
  // Read the link once: every later step uses this id, so a concurrent
  // activate cannot mix two revisions in one response.
  out.revision = request.kind == PathKind::current ? layout::read_revision_link(store_dir, layout::kCurrent)
                                                   : std::string(request.revision);
  if (out.revision.empty()) return out;
  lpweb::Result<std::shared_ptr<const RevisionIndex>> index = cache.get(store_dir, out.revision);
  if (!index) {
    out.status = ResolveStatus::error;
    out.error = index.error().message;
    return out;
  }
  out.index = std::move(*index);
  if (!out.index) return out;
  out.entry = out.index->find(request.file);
  if (!out.entry) return out;
  out.status = ResolveStatus::found;
  out.vary = !out.entry->variants.empty();
  const Variant* variant = choose_variant(*out.entry, accept_encoding);
  if (variant) {
    out.encoding = variant->encoding;
    out.size = variant->size;
    out.sha256 = variant->sha256;
  } else {
    out.size = out.entry->size;
    out.sha256 = out.entry->sha256;
  }
  out.file = layout::served_file_path(store_dir, out.revision, out.entry->path, out.encoding);
  return out;
}

}  // namespace lpicing
