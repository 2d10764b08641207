// Helpers for the lpicing core tests: temporary directories, tar archives built with
// libarchive's writer, Ed25519 keys made with EVP, and store-tree snapshots.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bundle.h"
#include "index_cache.h"
#include "crypto.h"
#include "fsutil.h"
#include "run_command.h"

namespace lpicing_test {

// How a test names what a store operation or an ingest came to.
enum class Outcome { ok, rejected, store_error };
inline Outcome outcome(const lpweb::Status& s) {
  if (s) return Outcome::ok;
  return s.error().kind == lpweb::Error::Kind::rejected ? Outcome::rejected : Outcome::store_error;
}
template <typename T>
Outcome outcome(const lpweb::Result<T>& r) {
  if (r) return Outcome::ok;
  return r.error().kind == lpweb::Error::Kind::rejected ? Outcome::rejected : Outcome::store_error;
}
// read_bundle and parse_sha256sums as the older assertions read them: the
// error, or nothing with *out filled.
inline std::optional<lpweb::Error> read_into(const std::string& path, const lpicing::BundleOptions& options,
                                             lpicing::Bundle* out) {
  lpweb::Result<lpicing::Bundle> r = lpicing::read_bundle(path, options, -1);
  if (!r) return r.error();
  *out = std::move(*r);
  return std::nullopt;
}
inline std::optional<lpweb::Error> sums_into(std::string_view text, std::map<std::string, lpicing::Sha256>* out) {
  auto r = lpicing::parse_sha256sums(text);
  if (!r) return r.error();
  *out = std::move(*r);
  return std::nullopt;
}

// RevisionIndex::parse/load and IndexCache::get as the older assertions read
// them: null with *error set (when given) on failure.
inline std::unique_ptr<lpicing::RevisionIndex> parse_index(std::string_view text, std::string* error) {
  auto r = lpicing::RevisionIndex::parse(text);
  if (r) return std::move(*r);
  if (error) *error = r.error().message;
  return nullptr;
}
inline std::unique_ptr<lpicing::RevisionIndex> load_index(const std::string& file, std::string* error) {
  auto r = lpicing::RevisionIndex::load(file);
  if (r) return std::move(*r);
  if (error) *error = r.error().message;
  return nullptr;
}
inline std::shared_ptr<const lpicing::RevisionIndex> cached_index(lpicing::IndexCache& cache, std::string_view store,
                                                                  std::string_view revision, std::string* error) {
  auto r = cache.get(store, revision);
  if (error) *error = r ? std::string() : r.error().message;
  return r ? *r : nullptr;
}

// The operator's line of a failure, empty on success.
template <typename T>
std::string message(const lpweb::Result<T>& r) {
  return r ? std::string() : r.error().what();
}


class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lpicing-test.XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    try {
      lpicing::remove_tree_at(AT_FDCWD, path_, "temp dir");
    } catch (...) {
    }
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

enum class Filter { none, gzip, xz, zstd };

struct TarEntry {
  enum Type { file, dir, symlink, hardlink, fifo, chardev } type = file;
  std::string name;
  std::string content;
  unsigned mode = 0;  // 0: 0644 / 0755 by type
  std::int64_t mtime = 1700000000;
  std::string link;   // symlink target or hardlink source
};

inline void write_tar(const std::string& path, const std::vector<TarEntry>& entries,
                      Filter filter = Filter::gzip) {
  struct archive* a = archive_write_new();
  switch (filter) {
    case Filter::none: break;
    case Filter::gzip: archive_write_add_filter_gzip(a); break;
    case Filter::xz: archive_write_add_filter_xz(a); break;
    case Filter::zstd: archive_write_add_filter_zstd(a); break;
  }
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(a));
  for (const TarEntry& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, t.name.c_str());
    unsigned mode = t.mode;
    switch (t.type) {
      case TarEntry::file: archive_entry_set_filetype(e, AE_IFREG); break;
      case TarEntry::dir: archive_entry_set_filetype(e, AE_IFDIR); break;
      case TarEntry::symlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_copy_symlink(e, t.link.c_str());
        break;
      case TarEntry::hardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_copy_hardlink(e, t.link.c_str());
        break;
      case TarEntry::fifo: archive_entry_set_filetype(e, AE_IFIFO); break;
      case TarEntry::chardev:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(1, 3));
        break;
    }
    if (!mode) mode = t.type == TarEntry::dir ? 0755 : 0644;
    archive_entry_set_perm(e, mode);
    archive_entry_set_mtime(e, t.mtime, 0);
    bool has_data = t.type == TarEntry::file;
    archive_entry_set_size(e, has_data ? static_cast<la_int64_t>(t.content.size()) : 0);
    if (archive_write_header(a, e) < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(a));
    if (has_data && !t.content.empty()) archive_write_data(a, t.content.data(), t.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

struct KeyPair {
  std::string private_pem, public_pem;
};

inline KeyPair make_ed25519_key() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) throw std::runtime_error("keygen failed");
  KeyPair kp;
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  kp.private_pem.assign(p, static_cast<std::size_t>(n));
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, key);
  n = BIO_get_mem_data(b, &p);
  kp.public_pem.assign(p, static_cast<std::size_t>(n));
  BIO_free(b);
  EVP_PKEY_free(key);
  return kp;
}

inline std::string sums_line(const std::string& content, const std::string& path) {
  return lpicing::to_hex(lpicing::sha256_of(content)) + "  " + path + "\n";
}

// A well-formed bundle, with hooks to spoil it in one way.
struct BundleSpec {
  std::string revision = "r1";
  std::vector<std::pair<std::string, std::string>> files;  // path, content
  std::string private_key_pem;                             // signs SHA256SUMS when set
  Filter filter = Filter::gzip;
  std::vector<std::string> unlisted;  // files whose SHA256SUMS line is left out
  std::string extra_sums;             // appended to SHA256SUMS
  std::vector<TarEntry> before;       // entries before the files (not listed)
  std::vector<TarEntry> after;        // entries after the files (not listed)
  std::string revision_file;          // REVISION bytes; default revision + "\n"
  std::string signature_override;     // replaces the signature when set
  std::int64_t mtime = 1700000000;
};

inline std::string sums_for(const BundleSpec& s) {
  std::string rev = s.revision_file.empty() ? s.revision + "\n" : s.revision_file;
  std::string sums = sums_line(rev, "REVISION");
  for (auto& [p, c] : s.files) {
    bool skip = false;
    for (auto& u : s.unlisted) skip |= u == p;
    if (!skip) sums += sums_line(c, p);
  }
  return sums + s.extra_sums;
}

inline void write_bundle(const std::string& path, const BundleSpec& s) {
  std::string rev = s.revision_file.empty() ? s.revision + "\n" : s.revision_file;
  std::string sums = sums_for(s);
  std::vector<TarEntry> entries;
  entries.push_back({TarEntry::file, "REVISION", rev, 0, s.mtime, ""});
  entries.push_back({TarEntry::file, "SHA256SUMS", sums, 0, s.mtime, ""});
  std::string sig = s.signature_override;
  if (sig.empty() && !s.private_key_pem.empty()) {
    lpweb::Result<std::string> signed_sums = lpicing::ed25519_sign(s.private_key_pem, sums);
    if (!signed_sums) throw std::runtime_error(signed_sums.error().message);
    sig = std::move(*signed_sums);
  }
  if (!sig.empty()) entries.push_back({TarEntry::file, "SHA256SUMS.sig", sig, 0, s.mtime, ""});
  for (auto& t : s.before) entries.push_back(t);
  for (auto& [p, c] : s.files) entries.push_back({TarEntry::file, p, c, 0, s.mtime, ""});
  for (auto& t : s.after) entries.push_back(t);
  write_tar(path, entries, s.filter);
}

// Paths, types, modes, sizes, content hashes and symlink targets of a tree.
inline void snapshot_into(const std::string& root, const std::string& rel,
                          std::map<std::string, std::string>* out) {
  DIR* d = opendir((root + rel).c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (struct dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  for (const std::string& n : names) {
    std::string r = rel + "/" + n, full = root + r;
    struct stat st;
    lstat(full.c_str(), &st);
    std::ostringstream desc;
    desc << std::oct << st.st_mode << std::dec << " ";
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t k = readlink(full.c_str(), buf, sizeof buf);
      desc << "-> " << std::string(buf, k > 0 ? static_cast<std::size_t>(k) : 0);
    } else if (S_ISREG(st.st_mode)) {
      desc << st.st_size << " " << lpicing::to_hex(lpicing::sha256_of(slurp(full)));
    }
    (*out)[r] = desc.str();
    if (S_ISDIR(st.st_mode)) snapshot_into(root, r, out);
  }
}

inline std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  snapshot_into(root, "", &out);
  return out;
}

inline std::string css_text(int rules) {
  std::string s;
  for (int i = 0; i < rules; ++i) s += ".rule" + std::to_string(i) + " { color: red; margin: 0 }\n";
  return s;
}

#ifdef LPICING_TOOL
using ToolRun = lpweb_test::CommandResult;

// Runs the real lpicing binary with `args` (no shell), `env` (NAME=value) set on top of ours.
inline ToolRun run_tool(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), LPICING_TOOL);
  return lpweb_test::run_command(args, 0, env);
}
#endif

}  // namespace lpicing_test
