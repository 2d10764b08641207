// The bundle reader and validator: streams a tar bundle (plain, gzip, xz or zstd,
// detected from content) once, checks every entry, SHA256SUMS and the signature, and
// optionally writes the accepted files under a staging directory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fsutil.h"
#include "index.h"

namespace lpicing {

struct BundleLimits {
  std::uint64_t max_entries = 100000;
  std::uint64_t max_bytes = std::uint64_t{2} << 30;  // total uncompressed file bytes
  double max_ratio = 100;  // uncompressed bytes / bundle file size
};

// The ratio limit only applies past this many uncompressed bytes, so tiny bundles
// (mostly tar headers and padding) are never refused for compressing well.
inline constexpr std::uint64_t kRatioFloorBytes = std::uint64_t{1} << 20;

inline constexpr std::uint64_t kMaxRevisionFileBytes = 1024;
inline constexpr std::uint64_t kMaxSumsFileBytes = std::uint64_t{64} << 20;
inline constexpr std::uint64_t kMaxSignatureFileBytes = 1024;

// Why a bundle was refused: Error::Kind::rejected names the entry at fault
// (empty: the bundle as a whole); system is an I/O failure while staging,
// not the bundle's fault.
using BundleError = lpweb::Error;

// How far a deploy has come, for a progress display: while reading the
// bundle, entries and uncompressed bytes so far; then, while precompressing,
// files done of total.
struct DeployProgress {
  enum class Phase { reading, precompressing };
  Phase phase = Phase::reading;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
  std::size_t done = 0;
  std::size_t total = 0;
};
// Called after every entry and every 64 KiB read, and after every file
// precompressed: often, so it must be cheap. Never called by two threads at
// once. Unset, it costs one test per call site.
using ProgressHook = std::function<void(const DeployProgress&)>;

struct BundleOptions {
  BundleLimits limits;
  std::string trusted_key_pem;  // Ed25519 public key; empty: signatures are not required
  ProgressHook on_progress;     // optional; also drives the deploy's precompression report
};

struct BundleFile {
  std::string path;
  std::uint64_t size = 0;
  Sha256 sha256{};
  std::int64_t mtime = 0;
  bool reused = false;  // staged as a link to the store's copy, not written
};

// Offered, before its data is read, each asset file whose digest SHA256SUMS
// gave earlier in the same bundle (as `lpicing pack` orders it): links the
// store's copy of those `size` bytes as `name` in `dirfd` and returns true,
// or returns false to have the file written. The data is read and checked
// against SHA256SUMS all the same, so a link stays only if the bytes match.
using ReuseHook = std::function<bool(const Sha256& listed, std::uint64_t size, int dirfd, const std::string& name)>;

struct BundleDirectory {
  std::string path;
  std::int64_t mtime = 0;
};

struct Bundle {
  std::string revision;
  std::string revision_file;  // exact bytes of REVISION
  std::string sums;           // exact bytes of SHA256SUMS
  std::optional<std::string> signature;  // exact bytes of SHA256SUMS.sig
  bool signature_verified = false;
  std::int64_t revision_mtime = 0, sums_mtime = 0, signature_mtime = 0;
  std::vector<BundleFile> files;             // every regular file except the metadata, sorted
  std::vector<BundleDirectory> directories;  // explicit directory entries, sorted
};

// Reads and validates the bundle open at `bundle_fd` (a regular file, read
// from its current offset) in one pass. With files_dirfd >= 0, every asset
// file is written below that directory (which must be empty and fresh); with
// -1 nothing is written. The ratio limit is measured against the bytes
// actually read. When SHA256SUMS comes before the assets, a bundle listing
// more files than the entry limit is refused before any is read, and
// `reuse` (optional) is offered each file. Throws only std::bad_alloc.
lpweb::Result<Bundle> read_bundle(int bundle_fd, const BundleOptions& options, int files_dirfd,
                                  const ReuseHook& reuse = {});
// Opens a bundle named on the command line without blocking (a FIFO is
// refused, never waited on); a regular file only.
lpweb::Result<UniqueFd> open_bundle(const std::string& bundle_path);
// open_bundle, then read_bundle.
lpweb::Result<Bundle> read_bundle(const std::string& bundle_path, const BundleOptions& options, int files_dirfd);

// The metadata files of a bundle (README, Bundles); every other entry is an asset.
inline constexpr char kRevisionName[] = "REVISION";
inline constexpr char kSumsName[] = "SHA256SUMS";
inline constexpr char kSignatureName[] = "SHA256SUMS.sig";

// ---- The text rules (core/bundle_text.cc): names, REVISION and SHA256SUMS ----

// Checks an archive entry name. Strips one leading "./" (as `tar -C dir .` writes) and,
// for directories, one trailing '/'. The normalised name, empty for the archive
// root ("./"); the error (message only) when invalid.
lpweb::Result<std::string> normalize_entry_name(std::string_view raw, bool is_directory);
// Parses REVISION file bytes: one line, trailing newline optional.
lpweb::Result<std::string> parse_revision_file(std::string_view bytes);
// Parses `sha256sum` output; errors name the listed path (or SHA256SUMS) and the line.
lpweb::Result<std::map<std::string, Sha256>> parse_sha256sums(std::string_view text);
// Names at the top of a bundle that are its metadata, never assets.
bool is_metadata_name(std::string_view name);

}  // namespace lpicing
