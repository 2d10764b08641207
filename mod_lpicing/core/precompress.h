// Deploy-time precompression: brotli (quality 11) and deterministic gzip variants of
// text-like assets, kept only when they save enough to be worth a negotiation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace lpicing {

// Files smaller than this are sent as they are; larger ones than the max are not
// compressed at deploy time (brotli 11 is slow, and such assets are rare).
inline constexpr std::uint64_t kMinPrecompressBytes = 256;
inline constexpr std::uint64_t kMaxPrecompressBytes = std::uint64_t{32} << 20;

// True for text-like types by extension (css, js, mjs, svg, json, map, html, htm, txt,
// xml, ico, ttf, otf, eot), case-insensitive.
bool is_precompressible(std::string_view path);
// True for ttf/otf/eot, which brotli compresses better in font mode.
bool is_font(std::string_view path);
// A variant is kept only when it saves at least 5% and at least 64 bytes.
bool variant_worth_keeping(std::uint64_t original, std::uint64_t compressed);

// Brotli, lgwin 22, quality 11 unless told (deploy time uses the best).
// The error when the encoder fails. Throws std::bad_alloc.
lpweb::Result<std::string> brotli_compress(std::string_view data, bool font, int quality = 11);
// gzip wrapper, header mtime 0 and no name, so the bytes depend only on the
// input and the level (9 unless told).
lpweb::Result<std::string> gzip_compress(std::string_view data, int level = 9);

}  // namespace lpicing
