// Reading and writing a revision's INDEX. The parser is strict on purpose: an
// INDEX is only ever written by serialize_index, so anything unexpected means
// truncation or corruption, and a half-read index must never be served from.
#include "index.h"

#include "fsutil.h"
#include "hex.h"
#include "text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <stdexcept>
#include <system_error>

namespace lpicing {
namespace {

constexpr std::string_view kMagic = "lpicing-index 1";
// Far above any real index (a million files is ~150 MB); refusing more keeps a
// corrupt or hostile file from exhausting an httpd child's memory.
constexpr std::uint64_t kMaxIndexBytes = 256u << 20;
constexpr std::size_t kMaxPathBytes = 1024;
constexpr std::size_t kMaxComponentBytes = 255;

// Canonical decimal only (no sign, no leading zeros, no spaces), so that one
// value has exactly one spelling and parse(serialize(x)) == x.
bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// Signed because tar mtimes (and in theory deploy clocks) can precede 1970.
bool parse_i64(std::string_view s, std::int64_t* out) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  std::uint64_t magnitude = 0;
  if (!parse_u64(s, &magnitude)) return false;
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude == 0 || magnitude > kMax + 1) return false;  // "-0" is not canonical
    *out = magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                 : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude > kMax) return false;
    *out = static_cast<std::int64_t>(magnitude);
  }
  return true;
}

bool parse_sha256(std::string_view s, Sha256* out) {
  return lpweb::parse_hex(s, out->data(), out->size(), /*upper_ok=*/false);  // upper case is not canonical
}

void append_hex(std::string& out, const Sha256& sha) { lpweb::append_hex(out, sha.data(), sha.size()); }

bool is_lower_hex64(std::string_view s) {
  Sha256 ignored;
  return parse_sha256(s, &ignored);
}

// The bundle's naming rules (README, Bundles), re-checked so that a
// tampered INDEX cannot smuggle a path that escapes files/.
lpweb::Status check_entry_path(std::string_view path) {
  if (path.empty()) return lpweb::rejected("empty path");
  if (path.size() > kMaxPathBytes) return lpweb::rejected("path longer than 1024 bytes");
  for (std::size_t i = 0; i < path.size();) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f) return lpweb::rejected("control character in path");
    std::size_t n = lpweb::utf8_sequence_length(path, i);
    if (n == 0) return lpweb::rejected("path is not valid UTF-8");
    i += n;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view component =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (component.empty()) return lpweb::rejected("empty path component");
    if (component == "." || component == "..") return lpweb::rejected("'.' or '..' path component");
    if (component.size() > kMaxComponentBytes) return lpweb::rejected("path component longer than 255 bytes");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

// Splits `line` on TAB into exactly `n` fields.
bool split_fields(std::string_view line, std::string_view* fields, std::size_t n) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    if (count == n) return false;
    if (tab == std::string_view::npos) {
      fields[count++] = line.substr(start);
      break;
    }
    fields[count++] = line.substr(start, tab - start);
    start = tab + 1;
  }
  return count == n;
}

bool parse_encoding(std::string_view s, Encoding* out) {
  if (s == "br") return *out = Encoding::br, true;
  if (s == "gzip") return *out = Encoding::gzip, true;
  return false;
}

std::string_view encoding_name(Encoding e) {
  constexpr std::string_view kNames[] = {"identity", "br", "gzip"};  // by Encoding
  return kNames[static_cast<std::size_t>(e) % std::size(kNames)];
}

lpweb::Error fail(std::size_t line_number, const std::string& why) {
  return lpweb::rejected("INDEX line " + std::to_string(line_number) + ": " + why);
}

}  // namespace

namespace {

// The header's lines, in order: the name, the field count, what the line
// should look like, and how its fields are checked and stored.
struct HeaderLine {
  std::string_view name;
  std::size_t fields;
  const char* shape;
  const char* invalid;
  bool (*read)(const std::string_view* f, IndexHeader* h);
};

const HeaderLine kHeaderLines[] = {
    {"revision", 2, "expected revision<TAB><id>", "invalid revision id",
     [](const std::string_view* f, IndexHeader* h) { return is_valid_revision_id(f[1]) && (h->revision.assign(f[1]), true); }},
    {"deployed", 2, "expected deployed<TAB><unix seconds>", "invalid deploy time",
     [](const std::string_view* f, IndexHeader* h) { return parse_i64(f[1], &h->deployed); }},
    {"sums", 2, "expected sums<TAB><sha256 hex>", "invalid SHA256SUMS digest",
     [](const std::string_view* f, IndexHeader* h) { return is_lower_hex64(f[1]) && (h->sums_sha256_hex.assign(f[1]), true); }},
    {"files", 3, "expected files<TAB><count><TAB><bytes>", "invalid file count or byte total",
     [](const std::string_view* f, IndexHeader* h) { return parse_u64(f[1], &h->file_count) && parse_u64(f[2], &h->total_bytes); }},
};

}  // namespace

lpweb::Result<std::unique_ptr<RevisionIndex>> RevisionIndex::parse(std::string_view text) {
  // Only the class itself may fill its private members; the helpers above stay
  // free of it.
  auto index = std::unique_ptr<RevisionIndex>(new RevisionIndex());
  if (text.size() > kMaxIndexBytes) return fail(0, "larger than 256 MiB");
  if (text.empty()) return fail(0, "empty file");
  if (text.back() != '\n') return fail(0, "does not end with a newline (truncated?)");

  std::size_t line_number = 0;
  std::size_t pos = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    std::size_t nl = text.find('\n', pos);  // present: the text ends with '\n'
    *line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_number;
    return true;
  };

  std::string_view line;
  std::string_view f[5];
  IndexHeader& h = index->header_;

  if (!next_line(&line) || line != kMagic) return fail(1, "not an lpicing index (expected \"lpicing-index 1\")");

  for (const HeaderLine& expected : kHeaderLines) {
    if (!next_line(&line) || !split_fields(line, f, expected.fields) || f[0] != expected.name)
      return fail(line_number, expected.shape);
    if (!expected.read(f, &h)) return fail(line_number, expected.invalid);
  }

  // The declared count bounds the reservation only as far as the text could
  // possibly hold (an f line is at least 70 bytes), so a lying header cannot
  // make us allocate gigabytes.
  index->entries_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(h.file_count, text.size() / 70 + 1)));
  std::uint64_t total = 0;
  while (next_line(&line)) {
    if (line.size() >= 2 && line[0] == 'f' && line[1] == '\t') {
      if (!split_fields(line, f, 5)) return fail(line_number, "f line needs 5 fields");
      if (lpweb::Status path = check_entry_path(f[1]); !path) return fail(line_number, path.error().message);
      if (!index->entries_.empty() && !(index->entries_.back().path < f[1])) {
        return fail(line_number,
                    index->entries_.back().path == f[1] ? "duplicate path" : "f lines not sorted by path");
      }
      IndexEntry e;
      if (!parse_u64(f[2], &e.size)) return fail(line_number, "invalid size");
      if (!parse_sha256(f[3], &e.sha256)) return fail(line_number, "invalid sha256");
      if (!parse_i64(f[4], &e.mtime)) return fail(line_number, "invalid mtime");
      if (e.size > std::numeric_limits<std::uint64_t>::max() - total)
        return fail(line_number, "byte total overflows");
      total += e.size;
      e.path.assign(f[1]);
      index->entries_.push_back(std::move(e));
    } else if (line.size() >= 2 && line[0] == 'v' && line[1] == '\t') {
      if (index->entries_.empty()) return fail(line_number, "v line before any f line");
      if (!split_fields(line, f, 4)) return fail(line_number, "v line needs 4 fields");
      Variant v;
      if (!parse_encoding(f[1], &v.encoding)) return fail(line_number, "unknown encoding");
      if (!parse_u64(f[2], &v.size)) return fail(line_number, "invalid size");
      if (!parse_sha256(f[3], &v.sha256)) return fail(line_number, "invalid sha256");
      auto& variants = index->entries_.back().variants;
      // serialize_index writes br before gzip; another order would not round-trip.
      if (!variants.empty() && !(variants.back().encoding < v.encoding)) {
        return fail(line_number,
                    variants.back().encoding == v.encoding ? "duplicate encoding" : "v lines not in br, gzip order");
      }
      variants.push_back(v);
    } else {
      return fail(line_number, "unknown line type");
    }
  }
  if (index->entries_.size() != h.file_count)
    return fail(line_number, "file count in header does not match f lines (truncated?)");
  if (total != h.total_bytes) return fail(line_number, "byte total in header does not match f lines");

  // Only now: views into entries_ would dangle across a reallocation.
  index->by_path_.reserve(index->entries_.size());
  for (std::size_t i = 0; i < index->entries_.size(); ++i) {
    index->by_path_.emplace(std::string_view(index->entries_[i].path), i);
  }
  return index;
}


namespace {

lpweb::Error read_error(const std::string& file, int err) {
  std::string why = err == EINVAL ? "not a regular file"
                    : err == EFBIG ? "larger than 256 MiB"
                                   : std::generic_category().message(err);
  lpweb::Error e = lpweb::system_error(file + ": " + why);
  e.code = err;
  return e;
}

}  // namespace

lpweb::Result<IndexFile> read_index_file(const std::string& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return read_error(file, errno);
  // fstat of the descriptor we read, so the identity the cache keeps is that
  // of these bytes even if INDEX is replaced meanwhile.
  IndexFile out;
  if (::fstat(fd.get(), &out.st) != 0) return read_error(file, errno);
  if (!S_ISREG(out.st.st_mode)) return read_error(file, EINVAL);
  if (static_cast<std::uint64_t>(out.st.st_size) > kMaxIndexBytes) return read_error(file, EFBIG);
  out.text.resize(static_cast<std::size_t>(out.st.st_size));
  std::size_t done = 0;
  while (done < out.text.size()) {
    ssize_t n = ::read(fd.get(), &out.text[done], out.text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return read_error(file, errno);
    if (n == 0) {  // shrank while reading: the parser sees the truncation
      out.text.resize(done);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return out;
}

lpweb::Result<std::unique_ptr<RevisionIndex>> RevisionIndex::load(const std::string& file) {
  lpweb::Result<IndexFile> read = read_index_file(file);
  if (!read) return read.error();
  lpweb::Result<std::unique_ptr<RevisionIndex>> index = parse(read->text);
  if (!index) return lpweb::rejected(file + ": " + index.error().message);
  return index;
}

const IndexEntry* RevisionIndex::find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &entries_[it->second];
}

// Throws std::invalid_argument for input that parse() would reject, so that a
// written INDEX always reads back. The header's count and byte total are
// recomputed from `entries`, never trusted.
std::string serialize_index(const IndexHeader& header, std::vector<IndexEntry> entries) {
  if (!is_valid_revision_id(header.revision)) throw std::invalid_argument("invalid revision id: " + header.revision);
  if (!is_lower_hex64(header.sums_sha256_hex))
    throw std::invalid_argument("SHA256SUMS digest is not 64 lowercase hex digits");
  std::sort(entries.begin(), entries.end(),
            [](const IndexEntry& a, const IndexEntry& b) { return a.path < b.path; });
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (lpweb::Status path = check_entry_path(entries[i].path); !path)
      throw std::invalid_argument(path.error().message + ": " + entries[i].path);
    if (i > 0 && entries[i - 1].path == entries[i].path)
      throw std::invalid_argument("duplicate path: " + entries[i].path);
    if (entries[i].size > std::numeric_limits<std::uint64_t>::max() - total)
      throw std::invalid_argument("byte total overflows");
    total += entries[i].size;
  }

  std::string out;
  out.reserve(128 + entries.size() * 120);
  out.append(kMagic).push_back('\n');
  out.append("revision\t").append(header.revision).push_back('\n');
  out.append("deployed\t").append(std::to_string(header.deployed)).push_back('\n');
  out.append("sums\t").append(header.sums_sha256_hex).push_back('\n');
  out.append("files\t").append(std::to_string(entries.size())).append("\t").append(std::to_string(total)).push_back('\n');
  for (IndexEntry& e : entries) {
    out.append("f\t").append(e.path).append("\t").append(std::to_string(e.size)).append("\t");
    append_hex(out, e.sha256);
    out.append("\t").append(std::to_string(e.mtime)).push_back('\n');
    // A fixed variant order keeps INDEX bytes identical on every server.
    std::sort(e.variants.begin(), e.variants.end(),
              [](const Variant& a, const Variant& b) { return a.encoding < b.encoding; });
    for (std::size_t i = 0; i < e.variants.size(); ++i) {
      const Variant& v = e.variants[i];
      if (v.encoding == Encoding::identity) throw std::invalid_argument("identity variant of " + e.path);
      if (i > 0 && e.variants[i - 1].encoding == v.encoding)
        throw std::invalid_argument("duplicate " + std::string(encoding_name(v.encoding)) + " variant of " + e.path);
      out.append("v\t").append(encoding_name(v.encoding)).append("\t").append(std::to_string(v.size)).append("\t");
      append_hex(out, v.sha256);
      out.push_back('\n');
    }
  }
  return out;
}

bool is_valid_revision_id(std::string_view id) noexcept {
  auto alnum = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > 64 || !alnum(id[0])) return false;
  for (char c : id)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

}  // namespace lpicing
