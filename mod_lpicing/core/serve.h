// The request-serving half of mod_lpicing without httpd: URL → revision and
// file, Accept-Encoding negotiation, ETag and Cache-Control values, and the
// per-child cache of parsed INDEX files. The adapter only calls these.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <sys/types.h>

#include "index.h"

namespace lpicing {

// ---- URL path ----------------------------------------------------------

enum class PathKind : std::uint8_t { not_found, versioned, current };

struct RequestPath {
  PathKind kind = PathKind::not_found;
  std::string_view revision;  // versioned only; a view into the parsed input
  std::string_view file;      // relative path inside the revision; a view into the input
};

// `path` is the URL path after the prefix, e.g. "/rev42/css/a.css" or
// "/css/a.css". A first segment "rev<R>" followed by '/' is versioned when R
// is a valid revision id and not_found otherwise (rev*/ directories are
// reserved for revisions, so "/rev../x" or "/rev-x/y" never fall through to
// the current revision). A last segment such as "/revolution.css" is a file of
// the current revision. The file part must be ≤1024 bytes, with no empty, ".",
// ".." or dot-leading component, no backslash, no byte below 0x20 or 0x7f.
// The input is never decoded, so "%2e%2e" is just an odd file name.
RequestPath parse_request_path(std::string_view path) noexcept;

// The file-part rule of parse_request_path, for paths that arrive another way
// (combo members): non-empty, ≤1024 bytes, components ≤255 bytes, none empty
// or starting with '.', no backslash, no byte below 0x20 or 0x7f.
bool is_servable_file_path(std::string_view path) noexcept;

// ---- Accept-Encoding ----------------------------------------------------

// Picks the coding to send per RFC 9110 §12.5.3. An absent or empty header
// means identity. Highest q wins; ties prefer br, then gzip, then identity.
// Identity that the header does not mention (and no "*" covers) is acceptable
// but ranks below any listed coding with q>0. A member with a malformed
// q-value is ignored as if absent. The first mention of a coding counts;
// "x-gzip" is gzip. If nothing is acceptable (identity;q=0, *;q=0) identity is
// returned anyway: like httpd's core we send the file rather than 406.
Encoding negotiate_encoding(std::string_view accept_encoding, bool have_br, bool have_gzip) noexcept;

// The entry's variant to send, or nullptr for the identity file.
const Variant* choose_variant(const IndexEntry& entry, std::string_view accept_encoding) noexcept;

// Content-Encoding token ("br", "gzip"); empty for identity.
std::string_view content_encoding(Encoding encoding) noexcept;

// ---- Response header values --------------------------------------------

constexpr std::size_t kETagLength = 34;  // '"' + 32 hex + '"'
// NUL-terminated strong ETag: '"' + first 32 lowercase hex digits of `sha256` + '"'.
std::array<char, kETagLength + 1> format_etag(const Sha256& sha256) noexcept;

inline constexpr std::string_view kCacheControlVersioned = "public, max-age=31536000, immutable";
inline constexpr std::string_view kCacheControlNotFound = "no-store";
// "public, max-age=<max_age>" (negative clamps to 0); compute once per config.
std::string cache_control_current(std::int64_t max_age);

// ---- Files on disk -------------------------------------------------------

// "<path>.br" / "<path>.gz"; `path` itself for identity.
std::string variant_path(std::string_view path, Encoding encoding);
// STORE/revisions/<revision>/files/<variant_path(path, encoding)>. A trailing
// '/' on store_dir is tolerated. The caller has validated revision and path.
std::string served_file_path(std::string_view store_dir, std::string_view revision, std::string_view path,
                             Encoding encoding);
// STORE/revisions/<revision>/INDEX.
std::string index_file_path(std::string_view store_dir, std::string_view revision);

// The revision STORE/current points at, or "" when the link is missing or its
// target does not end in "revisions/<valid id>". Does not check that the
// revision exists: the INDEX lookup that follows finds that out anyway.
std::string current_revision(std::string_view store_dir);

// ---- IndexCache ----------------------------------------------------------

// Parsed INDEX files of one child, shared by its threads. One stat() of the
// INDEX per lookup revalidates the cached copy: a pruned revision disappears
// at once, a re-deployed one (new inode) is re-read. Failures are cached by
// the same stat identity, so a broken INDEX is not re-parsed per request.
// Keyed by the INDEX path, so one instance can serve several stores.
class IndexCache {
 public:
  explicit IndexCache(std::size_t capacity = 256);
  IndexCache(const IndexCache&) = delete;
  IndexCache& operator=(const IndexCache&) = delete;

  // nullptr with *error empty: the revision is not in the store (404).
  // nullptr with *error set: the INDEX exists but cannot be read or is
  // malformed (log it). An invalid revision id is simply not in the store.
  // Throws only std::bad_alloc.
  std::shared_ptr<const RevisionIndex> get(std::string_view store_dir, std::string_view revision,
                                           std::string* error = nullptr);

  std::size_t size() const;
  void clear();

 private:
  struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_sec = 0;
    long mtime_nsec = 0;
    bool operator==(const FileIdentity& o) const {
      return dev == o.dev && ino == o.ino && size == o.size && mtime_sec == o.mtime_sec &&
             mtime_nsec == o.mtime_nsec;
    }
  };
  struct Slot {
    FileIdentity identity;
    std::shared_ptr<const RevisionIndex> index;  // null: cached failure
    std::string error;
    std::uint64_t last_used = 0;
  };

  void store_locked(const std::string& key, Slot slot);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, Slot, std::less<>> slots_;
  std::uint64_t clock_ = 0;
};

// ---- One request, start to finish ---------------------------------------

enum class ResolveStatus : std::uint8_t { found, not_found, error };

struct ResolvedFile {
  ResolveStatus status = ResolveStatus::not_found;
  std::string error;  // status == error: why, for the log
  PathKind kind = PathKind::not_found;
  std::string revision;
  std::shared_ptr<const RevisionIndex> index;  // keeps `entry` alive
  const IndexEntry* entry = nullptr;
  Encoding encoding = Encoding::identity;
  std::uint64_t size = 0;  // of the bytes to send (the variant's when encoded)
  Sha256 sha256{};         // of the bytes to send, for the ETag
  bool vary = false;       // the entry has variants: send Vary: Accept-Encoding
  std::string file;        // absolute path to open
};

// Resolves the revision once (a single readlink for current URLs), looks the
// file up in its INDEX and negotiates the variant. Throws only std::bad_alloc.
ResolvedFile resolve_request(IndexCache& cache, std::string_view store_dir, std::string_view path,
                             std::string_view accept_encoding);

// ---- Status --------------------------------------------------------------

// The JSON body of `SetHandler lpicing-status`:
// {"current": "R"|null, "revisions": [{"revision", "files", "bytes", "deployed"
// (ISO-8601 UTC), "deployed_unix", "sha256sums", "current"}...] newest first,
// "errors": [{"revision", "error"}...]} for revisions with a missing or broken
// INDEX. Reads through `cache` when given. Throws only std::bad_alloc.
std::string status_json(std::string_view store_dir, IndexCache* cache = nullptr);

// What status_json reports, for other formats (Prometheus text, core/metrics.h).
struct RevisionReport {
  std::string revision;
  IndexHeader header;
};
struct StoreReport {
  std::string current;                    // "" when there is none
  std::vector<RevisionReport> revisions;  // newest first
  std::vector<std::pair<std::string, std::string>> errors;  // {revision, why}, by revision
  bool listing_failed = false;  // revisions/ unreadable: errors[0] has an empty revision
};
// Reads through `cache` when given. Throws only std::bad_alloc.
StoreReport store_report(std::string_view store_dir, IndexCache* cache = nullptr);
std::string status_json(const StoreReport& report);

// Appends `s` as a JSON string literal: control characters as \u00XX, invalid
// UTF-8 bytes as \ufffd.
void append_json_string(std::string& out, std::string_view s);

namespace detail {
// Length of the valid UTF-8 sequence starting at s[i] (i < s.size()), or 0 when
// the bytes there are not valid UTF-8 (overlongs and surrogates included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;
// Reads a regular file of at most 256 MiB and fstat()s the same descriptor;
// false with *err an errno value (EINVAL: not a regular file, EFBIG: too big).
bool read_index_file(const std::string& file, std::string* text, struct stat* st, int* err);
std::string read_error_text(int err);
}  // namespace detail

}  // namespace lpicing
