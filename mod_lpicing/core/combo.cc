// Combo URLs: several files of one revision in one response. Kept free of
// httpd so the parsing and limits can be tested (and fuzzed) alone.
#include "combo.h"
#include "text.h"

#include "hex.h"

#include "store_layout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include "crypto.h"
#include "mapped_memory.h"
#include "precompress.h"

namespace lpicing {
namespace {

constexpr std::string_view kComboSegment = "/+combo";

// What goes into the digest for a coding: its settings too, so a change of
// quality gives new ETags rather than new bytes under old ones.
std::string_view coding_label(Encoding encoding) {
  constexpr std::string_view kLabels[] = {"identity", "br;quality=5;lgwin=22", "gzip;level=6"};  // by Encoding
  return kLabels[static_cast<std::size_t>(encoding) % std::size(kLabels)];
}
static_assert(kComboBrotliQuality == 5 && kComboGzipLevel == 6, "update coding_label with the settings");

// Reads one member's file into `out` (room for `size` bytes); the size must be what INDEX says.
ComboBodyStatus read_member(const std::string& file, std::uint64_t size, char* out, std::string* error) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    *error = file + ": " + std::generic_category().message(err);
    return err == ENOENT || err == ENOTDIR ? ComboBodyStatus::not_found : ComboBodyStatus::error;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != size) {
    ::close(fd);
    *error = file + " does not have the size its INDEX records (" + std::to_string(size) +
             " bytes): the store was changed by hand";
    return ComboBodyStatus::error;
  }
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = file + ": " + (n < 0 ? std::generic_category().message(errno) : std::string("shorter than its INDEX size"));
      ::close(fd);
      return ComboBodyStatus::error;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return ComboBodyStatus::ok;
}

}  // namespace

// ---- URL ----

bool is_combo_path(std::string_view path) noexcept {
  if (path.substr(0, kComboSegment.size()) != kComboSegment) return false;
  return path.size() == kComboSegment.size() || path[kComboSegment.size()] == '/';
}

ComboPath parse_combo_path(std::string_view path) noexcept {
  ComboPath out;
  if (!is_combo_path(path)) return out;
  std::string_view rest = path.substr(kComboSegment.size());
  if (rest == "/") {
    out.kind = PathKind::current;
    return out;
  }
  // "/rev<R>/" exactly: one URL per combo, so caches hold one copy.
  if (rest.size() < 6 || rest.substr(0, 4) != "/rev" || rest.back() != '/') return out;
  std::string_view id = rest.substr(4, rest.size() - 5);
  if (!is_valid_revision_id(id)) return out;
  out.kind = PathKind::versioned;
  out.revision = id;
  return out;
}

ComboQueryStatus parse_combo_query(std::string_view query, std::size_t max_files,
                                   std::vector<std::string>* members, std::string* why) {
  members->clear();
  why->clear();
  if (query.empty()) {
    *why = "no files named";
    return ComboQueryStatus::not_found;
  }
  std::size_t count = 1;
  for (char c : query) count += c == '&';
  if (count > max_files) {
    *why = std::to_string(count) + " files named, more than the limit of " + std::to_string(max_files);
    return ComboQueryStatus::bad_request;
  }
  members->reserve(count);
  for (std::string_view raw : lpweb::split(query, '&')) {
    std::string member;
    member.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        member.push_back(raw[i]);
        continue;
      }
      int hi = i + 2 < raw.size() ? lpweb::hex_value(raw[i + 1]) : -1;
      int lo = hi >= 0 ? lpweb::hex_value(raw[i + 2]) : -1;
      if (lo < 0) {
        *why = "malformed %-escape in member " + std::to_string(members->size() + 1);
        return ComboQueryStatus::bad_request;
      }
      char c = static_cast<char>(hi * 16 + lo);
      // As httpd's ap_unescape_url: an escaped slash or NUL names no file.
      if (c == '/' || c == '\0') {
        *why = "escaped '/' or NUL in member " + std::to_string(members->size() + 1);
        return ComboQueryStatus::not_found;
      }
      member.push_back(c);
      i += 2;
    }
    if (!is_servable_file_path(member)) {
      *why = "member " + std::to_string(members->size() + 1) + " is not a file path";
      return ComboQueryStatus::not_found;
    }
    members->push_back(std::move(member));
  }
  return ComboQueryStatus::ok;
}

std::string combo_extension(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string ext(base.substr(dot + 1));
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return ext;
}

Sha256 combo_digest(const std::vector<const IndexEntry*>& members, Encoding encoding) {
  Sha256Hasher hasher;
  // Fixed-width fields after the tag: no two member lists hash the same input.
  std::string head = "lpicing-combo 1\n";
  head.append(coding_label(encoding)).append("\n").append(std::to_string(members.size())).append("\n");
  hasher.update(head.data(), head.size());
  for (const IndexEntry* m : members) hasher.update(m->sha256.data(), m->sha256.size());
  return hasher.finish();
}

// ---- One request ----

ResolvedCombo resolve_combo(IndexCache& cache, std::string_view store_dir, std::string_view path,
                            std::string_view query, std::string_view accept_encoding, const ComboLimits& limits) {
  ResolvedCombo out;
  ComboPath where = parse_combo_path(path);
  if (where.kind == PathKind::not_found) {
    out.reason = "not a combo URL (PREFIX/+combo/rev<R>/?a&b or PREFIX/+combo/?a&b)";
    return out;
  }
  std::vector<std::string> names;
  switch (parse_combo_query(query, limits.max_files, &names, &out.reason)) {
    case ComboQueryStatus::ok: break;
    case ComboQueryStatus::not_found: return out;
    case ComboQueryStatus::bad_request: out.status = ComboStatus::bad_request; return out;
  }
  out.kind = where.kind;
  // Read the link once: every member comes from this revision.
  out.revision = where.kind == PathKind::current ? layout::read_revision_link(store_dir, layout::kCurrent)
                                                 : std::string(where.revision);
  if (out.revision.empty()) {
    out.reason = "no current revision";
    return out;
  }
  lpweb::Result<std::shared_ptr<const RevisionIndex>> index = cache.get(store_dir, out.revision);
  if (index) out.index = std::move(*index);
  if (!out.index) {
    if (!index) {
      out.status = ComboStatus::error;
      out.reason = index.error().message;
    } else {
      out.reason = "no revision " + out.revision;
    }
    return out;
  }
  out.members.reserve(names.size());
  for (const std::string& name : names) {
    const IndexEntry* entry = out.index->find(name);
    if (!entry) {
      out.reason = "member " + std::to_string(out.members.size() + 1) + " is not in revision " + out.revision;
      out.members.clear();
      return out;
    }
    out.members.push_back(entry);
  }
  const std::string extension = combo_extension(out.members.front()->path);
  for (const IndexEntry* m : out.members) {
    if (combo_extension(m->path) != extension) {
      out.status = ComboStatus::bad_request;
      out.reason = "members of different types ('." + extension + "' and '." + combo_extension(m->path) + "')";
      out.members.clear();
      return out;
    }
    out.identity_size += m->size;
    if (m->mtime > out.mtime) out.mtime = m->mtime;
  }
  if (out.identity_size > limits.max_bytes) {
    out.status = ComboStatus::bad_request;
    out.reason = std::to_string(out.identity_size) + " bytes, more than the limit of " + std::to_string(limits.max_bytes);
    out.members.clear();
    return out;
  }
  out.vary = is_precompressible(out.members.front()->path) && out.identity_size >= kMinPrecompressBytes;
  if (out.vary) out.encoding = negotiate_encoding(accept_encoding, true, true);
  out.files.reserve(out.members.size());
  for (const IndexEntry* m : out.members)
    out.files.push_back(layout::served_file_path(store_dir, out.revision, m->path, Encoding::identity));
  out.digest = combo_digest(out.members, out.encoding);
  out.status = ComboStatus::found;
  return out;
}

// ---- ComboCache ----

std::size_t ComboCache::KeyHash::operator()(const Sha256& k) const noexcept {
  std::size_t h;
  std::memcpy(&h, k.data(), sizeof h);  // already a uniform hash
  return h;
}

ComboCache::ComboCache(std::uint64_t capacity_bytes) : bodies_(capacity_bytes) {}

std::shared_ptr<const std::string> ComboCache::get(const Sha256& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto* body = bodies_.find(key);
  if (!body) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return *body;
}

void ComboCache::put(const Sha256& key, std::shared_ptr<const std::string> body) {
  if (!body) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (bodies_.find(key)) return;  // another thread made it too: same bytes
  std::uint64_t cost = body->size();
  bodies_.put(key, std::move(body), cost);
}

std::uint64_t ComboCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bodies_.total_cost();
}

std::size_t ComboCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bodies_.size();
}

std::uint64_t ComboCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

std::uint64_t ComboCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

void use_identity(ResolvedCombo* combo) {
  if (combo->status != ComboStatus::found || combo->encoding == Encoding::identity) return;
  combo->encoding = Encoding::identity;
  combo->digest = combo_digest(combo->members, Encoding::identity);
}

// ---- Body ----

ComboBody combo_body(const ResolvedCombo& combo, ComboCache* cache) {
  if (combo.status == ComboStatus::found && combo.encoding != Encoding::identity && cache) {
    ComboBody out;
    if ((out.bytes = cache->get(combo.digest))) {
      out.status = ComboBodyStatus::ok;
      out.from_cache = true;
      return out;
    }
  }
  return make_combo_body(combo, cache);
}

ComboBody make_combo_body(const ResolvedCombo& combo, ComboCache* cache) {
  ComboBody out;
  if (combo.status != ComboStatus::found) {
    out.error = "combo not resolved";
    return out;
  }
  // The concatenation lives only while it is compressed: mapped, so its
  // pages go back to the kernel after (see mapped_memory.h).
  MappedBuffer identity(combo.identity_size);
  if (!identity.data()) throw std::bad_alloc();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < combo.members.size(); ++i) {
    out.status = read_member(combo.files[i], combo.members[i]->size, identity.data() + offset, &out.error);
    if (out.status != ComboBodyStatus::ok) return out;
    offset += combo.members[i]->size;
  }
  std::string_view concatenation(identity.data(), combo.identity_size);
  if (combo.encoding == Encoding::identity) {
    out.bytes = std::make_shared<const std::string>(concatenation);
    return out;
  }
  lpweb::Result<std::string> compressed = compress_combo(concatenation, combo.encoding);
  if (!compressed) {
    out.status = ComboBodyStatus::error;
    out.error = compressed.error().message;
    return out;
  }
  out.bytes = std::make_shared<const std::string>(std::move(*compressed));
  if (cache) cache->put(combo.digest, out.bytes);
  return out;
}

ComboChoice choose_combo_body(ResolvedCombo* combo, ComboCache* cache, const CompressorSlots& slots,
                              std::uint32_t compressors, bool head) {
  ComboChoice out;
  if (combo->status != ComboStatus::found || combo->encoding == Encoding::identity) return out;
  if (cache && (out.cached = cache->get(combo->digest))) {
    out.plan = ComboPlan::cached;
    return out;
  }
  if (!head) out.slot = slots.try_acquire(compressors);
  if (out.slot) {
    out.plan = ComboPlan::compress;
  } else {
    use_identity(combo);
  }
  return out;
}

lpweb::Result<std::string> compress_combo(std::string_view data, Encoding encoding) {
  if (encoding == Encoding::br) return brotli_compress(data, /*font=*/false, kComboBrotliQuality);
  if (encoding == Encoding::gzip) return gzip_compress(data, kComboGzipLevel);
  return std::string(data);
}

}  // namespace lpicing
