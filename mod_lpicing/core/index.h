// The per-revision index: written once at deploy time, read (parsed once per
// httpd child and revision) at serving time, so a request needs no hashing,
// no directory scan and no parsing of SHA256SUMS.
#pragma once

#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "result.h"

namespace lpicing {

using Sha256 = std::array<std::uint8_t, 32>;

// A revision id: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (bundles, store, URLs).
bool is_valid_revision_id(std::string_view id) noexcept;

enum class Encoding : std::uint8_t { identity, br, gzip };

// A precompressed variant of an asset, stored beside it as `<path>.br` / `<path>.gz`.
struct Variant {
  Encoding encoding = Encoding::identity;
  std::uint64_t size = 0;
  Sha256 sha256{};
};

// One servable file of a revision (never the bundle's metadata files).
struct IndexEntry {
  std::string path;          // relative, as in the bundle, e.g. "css/app.css"
  std::uint64_t size = 0;
  Sha256 sha256{};
  std::int64_t mtime = 0;    // seconds since the epoch, as set on the stored file
  std::vector<Variant> variants;  // at most one per encoding
};

struct IndexHeader {
  std::string revision;
  std::int64_t deployed = 0;     // seconds since the epoch
  std::string sums_sha256_hex;   // SHA-256 of the revision's SHA256SUMS bytes
  std::uint64_t file_count = 0;  // servable files
  std::uint64_t total_bytes = 0; // their identity sizes
};

class RevisionIndex {
 public:
  // Parses INDEX text; the error names the line of malformed input.
  static lpweb::Result<std::unique_ptr<RevisionIndex>> parse(std::string_view text);
  // Reads and parses the INDEX file at `file`.
  static lpweb::Result<std::unique_ptr<RevisionIndex>> load(const std::string& file);

  const IndexHeader& header() const { return header_; }
  // Exact byte match on the relative path; nullptr when absent.
  const IndexEntry* find(std::string_view path) const;
  const std::vector<IndexEntry>& entries() const { return entries_; }

 private:
  IndexHeader header_;
  std::vector<IndexEntry> entries_;
  std::unordered_map<std::string_view, std::size_t> by_path_;  // views into entries_
};

// An INDEX file of at most 256 MiB, and the fstat() of the descriptor it was
// read from: the identity of these bytes. The error says "FILE: why", with
// code the errno value (EINVAL: not a regular file, EFBIG: too big).
struct IndexFile {
  std::string text;
  struct stat st {};
};
lpweb::Result<IndexFile> read_index_file(const std::string& file);

// Serialises a header and entries into INDEX text (entries sorted by path).
std::string serialize_index(const IndexHeader& header, std::vector<IndexEntry> entries);

}  // namespace lpicing
