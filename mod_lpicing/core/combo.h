// Combo URLs without httpd: PREFIX/+combo/rev<R>/?a.js&b/c.js names several
// files of one revision, sent as one response (their bytes concatenated in
// order). Parsing, limits, negotiation, the ETag and the per-child cache of
// compressed combos live here; the adapter only calls them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compressor_slots.h"
#include "index.h"
#include "serve.h"
#include "lru.h"

namespace lpicing {

// Defaults of LPIcingComboMaxFiles, LPIcingComboMaxBytes and LPIcingComboCacheBytes.
// 1 MB: one miss then costs ~100 ms of gzip, not 400 (4 MB did).
inline constexpr std::size_t kComboDefaultMaxFiles = 100;
inline constexpr std::uint64_t kComboDefaultMaxBytes = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kComboDefaultCacheBytes = std::uint64_t{8} << 20;
// Compression of a combo happens on a request (then is cached), so it uses
// settings that cost milliseconds, not deploy time's brotli 11 / gzip 9.
inline constexpr int kComboBrotliQuality = 5;
inline constexpr int kComboGzipLevel = 6;

struct ComboLimits {
  std::size_t max_files = kComboDefaultMaxFiles;        // members per request
  std::uint64_t max_bytes = kComboDefaultMaxBytes;      // sum of the members' identity sizes
};

// ---- URL -----------------------------------------------------------------

// True when `path` (after the prefix, decoded) is in the combo namespace:
// "/+combo" or "/+combo/...". Such a path never names a single file.
bool is_combo_path(std::string_view path) noexcept;

struct ComboPath {
  PathKind kind = PathKind::not_found;  // versioned, current or not_found
  std::string_view revision;            // versioned only; a view into the input
};

// "/+combo/rev<R>/" is revision R, "/+combo/" the current revision; anything
// else (no trailing slash, more segments, a bad id) is not_found.
ComboPath parse_combo_path(std::string_view path) noexcept;

enum class ComboQueryStatus : std::uint8_t { ok, not_found, bad_request };

// Splits the raw (undecoded) query on '&' and percent-decodes each member as
// httpd decodes a path: a malformed escape is bad_request; an escaped '/' or
// NUL, an empty member and a member that breaks the single-file path rules
// (is_servable_file_path) are not_found. '+' is a literal plus. More than
// `max_files` members is bad_request. *why says what, for the debug log.
// Throws only std::bad_alloc.
ComboQueryStatus parse_combo_query(std::string_view query, std::size_t max_files,
                                   std::vector<std::string>* members, std::string* why);

// The file-name extension that decides a member's Content-Type: the part of
// the last component after its last '.', lower-cased ("" when none).
std::string combo_extension(std::string_view path);

// The combo's identity: SHA-256 over a version tag, the coding with its
// settings, and each member's identity SHA-256 in order. Strong ETag source
// (the same on every server) and the key of ComboCache.
Sha256 combo_digest(const std::vector<const IndexEntry*>& members, Encoding encoding);

// ---- One request ---------------------------------------------------------

enum class ComboStatus : std::uint8_t { found, not_found, bad_request, error };

struct ResolvedCombo {
  ComboStatus status = ComboStatus::not_found;
  std::string reason;  // why it is not found / bad (debug log) or the error (error log)
  PathKind kind = PathKind::not_found;
  std::string revision;
  std::shared_ptr<const RevisionIndex> index;  // keeps `members` alive
  std::vector<const IndexEntry*> members;      // in request order, repeats allowed
  std::vector<std::string> files;              // absolute identity path of each member
  std::uint64_t identity_size = 0;             // sum of the members' sizes
  std::int64_t mtime = 0;                      // the newest member's, for Last-Modified
  Encoding encoding = Encoding::identity;      // the coding to send
  bool vary = false;                           // the combo can be compressed: Vary: Accept-Encoding
  Sha256 digest{};                             // combo_digest(members, encoding)
};

// Resolves the revision once (one readlink for "/+combo/"), parses the query,
// looks every member up in the revision's INDEX and checks that they share an
// extension and fit the limits. Combos of text-like types (is_precompressible)
// of at least kMinPrecompressBytes are offered as br and gzip.
// not_found: bad path or revision, a member absent or not a servable path.
// bad_request: malformed escape, members of different extensions, over a limit.
// error: the revision's INDEX is broken. Throws only std::bad_alloc.
ResolvedCombo resolve_combo(IndexCache& cache, std::string_view store_dir, std::string_view path,
                            std::string_view query, std::string_view accept_encoding, const ComboLimits& limits);

// Makes `combo` its identity representation (coding and digest, so its
// validators), keeping `vary`: what goes out when the negotiated coding
// cannot be had now. A no-op for an identity combo.
void use_identity(ResolvedCombo* combo);

// ---- Body ----------------------------------------------------------------

// Compressed combos of one child, shared by its threads, keyed by
// combo_digest (so by content: revisions that share members share entries),
// bounded by total bytes, least recently used evicted first. Capacity 0
// caches nothing.
class ComboCache {
 public:
  explicit ComboCache(std::uint64_t capacity_bytes = kComboDefaultCacheBytes);
  ComboCache(const ComboCache&) = delete;
  ComboCache& operator=(const ComboCache&) = delete;

  std::shared_ptr<const std::string> get(const Sha256& key);
  // An entry larger than the capacity is not kept. Throws only std::bad_alloc.
  void put(const Sha256& key, std::shared_ptr<const std::string> body);

  std::uint64_t bytes() const;
  std::size_t entries() const;
  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  struct KeyHash {
    std::size_t operator()(const Sha256& k) const noexcept;
  };

  mutable std::mutex mutex_;
  lpweb::LruMap<Sha256, std::shared_ptr<const std::string>, KeyHash> bodies_;  // cost: bytes
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

enum class ComboBodyStatus : std::uint8_t { ok, not_found, error };

struct ComboBody {
  ComboBodyStatus status = ComboBodyStatus::error;
  std::string error;                         // not_found / error: which file and why
  std::shared_ptr<const std::string> bytes;  // ok: the bytes to send
  bool from_cache = false;
};

// The body of a found combo in its negotiated coding: from `cache` (may be
// null) when there, else each member's file is read (its size checked against
// INDEX), the concatenation compressed and the result cached. A member gone
// since resolving (pruned) is not_found; a size mismatch or read failure is
// error. For identity the concatenation itself is returned (not cached: the
// adapter sends identity combos as file buckets instead). Throws only std::bad_alloc.
ComboBody combo_body(const ResolvedCombo& combo, ComboCache* cache);

// combo_body without the cache lookup: reads, compresses and caches (for a
// miss that holds a compressor slot). Throws only std::bad_alloc.
ComboBody make_combo_body(const ResolvedCombo& combo, ComboCache* cache);

// How a found combo's body is had, so that compressing is bounded per server.
enum class ComboPlan : std::uint8_t {
  identity,  // the members as stored (file buckets): identity negotiated, or the coding cannot be had now
  cached,    // the compressed bytes from the child's cache
  compress,  // a miss holding a compressor slot: make_combo_body, then release the slot
};

struct ComboChoice {
  ComboPlan plan = ComboPlan::identity;
  std::shared_ptr<const std::string> cached;  // plan cached
  CompressorSlots::Hold slot;                 // plan compress; release it once compressed
};

// The cache first (`cache` may be null); on a miss a GET takes one of the
// first `compressors` slots without waiting, and a HEAD never compresses.
// When the coding cannot be had, `combo` is turned to identity (use_identity),
// to be compressed by the next miss that gets a slot.
ComboChoice choose_combo_body(ResolvedCombo* combo, ComboCache* cache, const CompressorSlots& slots,
                              std::uint32_t compressors, bool head);

// One-shot compression with the combo settings; the error when the coder fails.
// gzip output has mtime 0 and no name, so it depends only on the input.
lpweb::Result<std::string> compress_combo(std::string_view data, Encoding encoding);


}  // namespace lpicing
