// The request-serving half of mod_lpicing without httpd: URL → revision and
// file, Accept-Encoding negotiation, ETag and Cache-Control values. The
// adapter only calls these; paths come from the store layout
// (store_layout.h), parsed INDEX files from the per-child IndexCache.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <sys/stat.h>
#include <sys/types.h>

#include "index.h"
#include "index_cache.h"

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

}  // namespace lpicing
