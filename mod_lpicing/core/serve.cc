// Serving decisions of mod_lpicing, kept free of httpd so they can be tested
// (and fuzzed) alone: request paths, content negotiation, header values, the
// per-child INDEX cache and the status document.
#include "serve.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>
#include <system_error>
#include <vector>

#include "text.h"

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
  static constexpr char kDigits[] = "0123456789abcdef";
  std::array<char, kETagLength + 1> out{};
  out[0] = '"';
  for (std::size_t i = 0; i < 16; ++i) {
    out[1 + 2 * i] = kDigits[sha256[i] >> 4];
    out[2 + 2 * i] = kDigits[sha256[i] & 15];
  }
  out[kETagLength - 1] = '"';
  out[kETagLength] = '\0';
  return out;
}

std::string cache_control_current(std::int64_t max_age) {
  return "public, max-age=" + std::to_string(max_age < 0 ? 0 : max_age);
}

std::string variant_path(std::string_view path, Encoding encoding) {
  std::string out(path);
  if (encoding == Encoding::br) out.append(".br");
  if (encoding == Encoding::gzip) out.append(".gz");
  return out;
}

namespace {

std::string revision_dir(std::string_view store_dir, std::string_view revision, std::size_t extra) {
  while (store_dir.size() > 1 && store_dir.back() == '/') store_dir.remove_suffix(1);
  std::string out;
  out.reserve(store_dir.size() + revision.size() + 12 + extra);
  out.append(store_dir);
  if (out != "/") out.push_back('/');
  out.append("revisions/").append(revision);
  return out;
}

}  // namespace

std::string served_file_path(std::string_view store_dir, std::string_view revision, std::string_view path,
                             Encoding encoding) {
  std::string out = revision_dir(store_dir, revision, 7 + path.size() + 3);
  out.append("/files/").append(path);
  if (encoding == Encoding::br) out.append(".br");
  if (encoding == Encoding::gzip) out.append(".gz");
  return out;
}

std::string index_file_path(std::string_view store_dir, std::string_view revision) {
  return revision_dir(store_dir, revision, 6).append("/INDEX");
}

std::string current_revision(std::string_view store_dir) {
  while (store_dir.size() > 1 && store_dir.back() == '/') store_dir.remove_suffix(1);
  std::string link(store_dir);
  if (link != "/") link.push_back('/');
  link.append("current");
  char buf[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  std::string_view target(buf, static_cast<std::size_t>(n));
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  // The store writes "revisions/<R>"; an absolute link into a store is
  // accepted too, but nothing that does not name a revisions/ directory.
  std::size_t slash = target.rfind('/');
  if (slash == std::string_view::npos) return {};
  std::string_view id = target.substr(slash + 1);
  std::string_view parent = target.substr(0, slash);
  if (parent != "revisions" && !(parent.size() > 10 && parent.substr(parent.size() - 10) == "/revisions"))
    return {};
  if (!is_valid_revision_id(id)) return {};
  return std::string(id);
}

// ---- IndexCache ----

IndexCache::IndexCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::size_t IndexCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
}

void IndexCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.clear();
}

void IndexCache::store_locked(const std::string& key, Slot slot) {
  slot.last_used = ++clock_;
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    it->second = std::move(slot);
    return;
  }
  if (slots_.size() >= capacity_) {
    // A linear scan, but only when a child meets more revisions than the
    // capacity, which a store that keeps a handful never makes it do.
    auto oldest = std::min_element(slots_.begin(), slots_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    slots_.erase(oldest);
  }
  slots_.emplace(key, std::move(slot));
}

std::shared_ptr<const RevisionIndex> IndexCache::get(std::string_view store_dir, std::string_view revision,
                                                     std::string* error) {
  if (error) error->clear();
  if (!is_valid_revision_id(revision)) return nullptr;
  const std::string key = index_file_path(store_dir, revision);

  struct stat st;
  if (::stat(key.c_str(), &st) != 0) {
    int err = errno;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);
    }
    if (err != ENOENT && err != ENOTDIR && error) *error = key + ": " + std::generic_category().message(err);
    return nullptr;
  }
  auto identity_of = [](const struct stat& s) {
    FileIdentity id;
    id.dev = s.st_dev;
    id.ino = s.st_ino;
    id.size = s.st_size;
    id.mtime_sec = static_cast<std::int64_t>(s.st_mtim.tv_sec);
    id.mtime_nsec = s.st_mtim.tv_nsec;
    return id;
  };
  const FileIdentity seen = identity_of(st);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(key);
    if (it != slots_.end() && it->second.identity == seen) {
      it->second.last_used = ++clock_;
      if (!it->second.index && error) *error = it->second.error;
      return it->second.index;
    }
  }

  // Parsed outside the lock: a big INDEX must not stall the other threads.
  // Two threads may both load a new revision; the later store wins, harmlessly.
  Slot slot;
  std::string text;
  int err = 0;
  if (!detail::read_index_file(key, &text, &st, &err)) {
    if (err == ENOENT || err == ENOTDIR) {  // pruned between stat and open
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.erase(key);
      return nullptr;
    }
    slot.identity = seen;
    slot.error = key + ": " + detail::read_error_text(err);
  } else {
    slot.identity = identity_of(st);
    std::string why;
    std::shared_ptr<const RevisionIndex> index = RevisionIndex::parse(text, &why);
    if (index && index->header().revision != revision) {
      why = "INDEX is for revision " + index->header().revision;
      index.reset();
    }
    if (!index) slot.error = key + ": " + why;
    slot.index = std::move(index);
  }
  std::shared_ptr<const RevisionIndex> result = slot.index;
  if (!result && error) *error = slot.error;
  std::lock_guard<std::mutex> lock(mutex_);
  store_locked(key, std::move(slot));
  return result;
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
  out.revision = request.kind == PathKind::current ? current_revision(store_dir) : std::string(request.revision);
  if (out.revision.empty()) return out;
  out.index = cache.get(store_dir, out.revision, &out.error);
  if (!out.index) {
    if (!out.error.empty()) out.status = ResolveStatus::error;
    return out;
  }
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
  out.file = served_file_path(store_dir, out.revision, out.entry->path, out.encoding);
  return out;
}

// ---- Status ----

namespace detail {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  return lpweb::utf8_sequence_length(s, i);
}

}  // namespace detail

void append_json_string(std::string& out, std::string_view s) { lpweb::append_json_string(out, s); }

namespace {

std::string iso8601_utc(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  struct tm tm;
  char buf[64];
  if (!::gmtime_r(&t, &tm) || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return {};
  return buf;
}

}  // namespace

namespace {

// The status page is seen by whoever may read it: it names paths inside the
// store only, never where the store is.
std::string relative_to_store(std::string_view store_dir, std::string text) {
  std::string prefix(store_dir);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  prefix.push_back('/');
  for (std::size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
  return text;
}

}  // namespace

StoreReport store_report(std::string_view store_dir, IndexCache* cache) {
  StoreReport report;
  std::vector<std::shared_ptr<const RevisionIndex>> listed;
  IndexCache local_cache(1);
  IndexCache& indexes = cache ? *cache : local_cache;

  std::string dir(store_dir);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  dir.append(dir == "/" ? "revisions" : "/revisions");
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name.empty() || name[0] == '.') continue;
      if (!is_valid_revision_id(name)) {
        report.errors.emplace_back(std::string(name), "not a valid revision id");
        continue;
      }
      std::string error;
      auto index = indexes.get(store_dir, name, &error);
      if (index) {
        report.revisions.push_back({std::string(name), index->header()});
      } else {
        report.errors.emplace_back(std::string(name), error.empty() ? "INDEX missing" : relative_to_store(store_dir, error));
      }
    }
    ::closedir(d);
  } else {
    report.listing_failed = true;
    report.errors.emplace_back(std::string(), "revisions: " + std::generic_category().message(errno));
  }

  std::sort(report.revisions.begin(), report.revisions.end(), [](const RevisionReport& a, const RevisionReport& b) {
    std::int64_t da = a.header.deployed, db = b.header.deployed;
    return da != db ? da > db : a.revision < b.revision;
  });
  std::sort(report.errors.begin(), report.errors.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  report.current = current_revision(store_dir);
  return report;
}

std::string status_json(std::string_view store_dir, IndexCache* cache) {
  return status_json(store_report(store_dir, cache));
}

std::string status_json(const StoreReport& report) {
  const std::string& current = report.current;
  std::string out;
  out.reserve(256 + report.revisions.size() * 256);
  out.append("{\"current\": ");
  if (current.empty()) {
    out.append("null");
  } else {
    append_json_string(out, current);
  }
  out.append(", \"revisions\": [");
  for (std::size_t i = 0; i < report.revisions.size(); ++i) {
    const IndexHeader& h = report.revisions[i].header;
    if (i > 0) out.append(", ");
    out.append("{\"revision\": ");
    append_json_string(out, report.revisions[i].revision);
    out.append(", \"files\": ").append(std::to_string(h.file_count));
    out.append(", \"bytes\": ").append(std::to_string(h.total_bytes));
    out.append(", \"deployed\": ");
    std::string when = iso8601_utc(h.deployed);
    if (when.empty()) {
      out.append("null");
    } else {
      append_json_string(out, when);
    }
    out.append(", \"deployed_unix\": ").append(std::to_string(h.deployed));
    out.append(", \"sha256sums\": ");
    append_json_string(out, h.sums_sha256_hex);
    out.append(", \"current\": ").append(report.revisions[i].revision == current ? "true" : "false");
    out.push_back('}');
  }
  out.append("], \"errors\": [");
  for (std::size_t i = 0; i < report.errors.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append("{\"revision\": ");
    if (report.listing_failed && report.errors[i].first.empty()) {
      out.append("null");
    } else {
      append_json_string(out, report.errors[i].first);
    }
    out.append(", \"error\": ");
    append_json_string(out, report.errors[i].second);
    out.push_back('}');
  }
  out.append("]}\n");
  return out;
}

}  // namespace lpicing
