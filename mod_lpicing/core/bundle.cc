// Bundle reading with libarchive's reader only (never archive_write_disk): each accepted
// regular file is created by us with O_EXCL|O_NOFOLLOW below the staging directory, so no
// entry can make a link, a device, or a file outside staging. Limits are checked while
// streaming, so a compression bomb is never fully inflated.
#include "bundle.h"
#include "index.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "crypto.h"
#include "fsutil.h"

namespace lpicing {

namespace {

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

using lpweb::rejected;
using lpweb::Status;

std::string archive_message(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown error";
}

// Walks `path`'s parent directories below `root`, creating them (0755) as needed;
// returns the innermost open directory. Never follows a symlink. Throws SystemError.
UniqueFd open_parent_dirs(int root, const std::string& path, bool include_last) {
  UniqueFd cur(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (!cur) throw SystemError("cannot open staging directory", errno);
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos && !include_last) break;
    std::string comp = path.substr(start, slash == std::string::npos ? std::string::npos
                                                                      : slash - start);
    cur = ensure_dir_at(cur.get(), comp, "staging directory " + quote(path.substr(0, slash)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return cur;
}

std::string base_name(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class Reader {
 public:
  Reader(const BundleOptions& options, int files_dirfd, const ReuseHook& reuse, Bundle* out)
      : options_(options), files_dirfd_(files_dirfd), reuse_(reuse), out_(out) {}

  Status run(int fd);

 private:
  Status register_name(const std::string& name, bool is_dir);
  Status read_entry_data(const std::string& name, std::int64_t mtime, bool metadata, std::string* keep,
                         std::uint64_t keep_limit, std::optional<std::uint64_t> declared_size = {});
  Status read_sums_early();
  Status check_limits(const std::string& name, std::uint64_t extra, bool streaming);
  Status finish();
  int parent_dir_of(const std::string& name);
  void report_progress() {
    if (!options_.on_progress) return;
    DeployProgress p;
    p.entries = entries_;
    p.bytes = total_bytes_;
    options_.on_progress(p);
  }

  const BundleOptions& options_;
  int files_dirfd_;
  const ReuseHook& reuse_;
  Bundle* out_;
  // SHA256SUMS, when it came before the assets: their digests, known before their data.
  std::optional<std::map<std::string, Sha256>> early_sums_;
  std::unique_ptr<struct archive, ArchiveFree> archive_;
  std::uint64_t bundle_size_ = 0;  // st_size: only an upper bound of what can be read
  std::uint64_t total_bytes_ = 0;
  std::uint64_t entries_ = 0;
  // 'f' regular file, 'd' directory entry, 'i' directory implied by a deeper name.
  std::unordered_map<std::string, char> kinds_;
  bool have_revision_ = false, have_sums_ = false;
  Sha256 revision_sha_{};
  Sha256Hasher hasher_;
  // The staged directory of the last file written: archives list a directory's files
  // together, so this saves a walk from the root (several syscalls) per file.
  std::string parent_path_;
  UniqueFd parent_;
};

// The open staged parent directory of `name`, created as needed. Throws SystemError.
int Reader::parent_dir_of(const std::string& name) {
  std::size_t slash = name.rfind('/');
  std::string dir = slash == std::string::npos ? "" : name.substr(0, slash);
  if (!parent_ || dir != parent_path_) {
    parent_ = open_parent_dirs(files_dirfd_, name, false);
    parent_path_ = dir;
  }
  return parent_.get();
}

// `extra` more uncompressed bytes: over the byte limit, or over the ratio to
// what the bundle can hold at most (declared sizes, before inflating) or has
// actually given so far (while streaming: a sparse tail or a lying st_size
// buys nothing).
Status Reader::check_limits(const std::string& name, std::uint64_t extra, bool streaming) {
  const BundleLimits& l = options_.limits;
  std::uint64_t total = total_bytes_ + extra;
  if (total > l.max_bytes)
    return rejected(name, "the bundle holds more than " + std::to_string(l.max_bytes) +
                              " uncompressed bytes (limit --max-bytes)");
  std::uint64_t read = bundle_size_;
  if (streaming) {
    la_int64_t consumed = archive_filter_bytes(archive_.get(), -1);
    read = consumed > 0 ? static_cast<std::uint64_t>(consumed) : 0;
  }
  if (total > kRatioFloorBytes && static_cast<double>(total) > l.max_ratio * static_cast<double>(read)) {
    char ratio[32];
    snprintf(ratio, sizeof ratio, "%g", l.max_ratio);
    return rejected(name, std::string("uncompressed size exceeds ") + ratio +
                              " times the bundle size (limit --max-ratio): a compression bomb?");
  }
  return {};
}

Status Reader::register_name(const std::string& name, bool is_dir) {
  // Every parent must be (or become) a directory.
  for (std::size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    std::string parent = name.substr(0, slash);
    if (parent.find('/') == std::string::npos && is_metadata_name(parent))
      return rejected(name, "the bundle's metadata name " + quote(parent) + " used as a directory");
    auto it = kinds_.find(parent);
    if (it == kinds_.end()) {
      kinds_.emplace(parent, 'i');
    } else if (it->second == 'f') {
      return rejected(name, "its parent " + quote(parent) + " is a regular file in the bundle");
    }
  }
  auto it = kinds_.find(name);
  if (it == kinds_.end()) {
    kinds_.emplace(name, is_dir ? 'd' : 'f');
    return {};
  }
  if (is_dir && it->second == 'i') {
    it->second = 'd';
    return {};
  }
  if ((it->second == 'f') == !is_dir) return rejected(name, "duplicate name in the archive");
  return rejected(name, is_dir ? "directory has the name of a regular file in the bundle"
                               : "regular file has the name of a directory in the bundle");
}

// SHA256SUMS just read: when it parses, the assets' digests are known before
// their data, and its line count bounds the entries to come.
Status Reader::read_sums_early() {
  lpweb::Result<std::map<std::string, Sha256>> sums = parse_sha256sums(out_->sums);
  if (!sums) return {};  // finish() names the fault, with the rest of the bundle read
  std::uint64_t at_least = sums->size() + 1;  // every listed file, and SHA256SUMS itself
  if (at_least > options_.limits.max_entries)
    return rejected(kSumsName, "lists " + std::to_string(sums->size()) + " files: the bundle has more than " +
                                   std::to_string(options_.limits.max_entries) + " entries (limit --max-entries)");
  early_sums_ = std::move(*sums);
  return {};
}

Status Reader::read_entry_data(const std::string& name, std::int64_t mtime, bool metadata, std::string* keep,
                               std::uint64_t keep_limit, std::optional<std::uint64_t> declared_size) {
  UniqueFd fd;
  std::string what = "staged file " + quote(name);
  bool reused = false;
  try {
    if (!metadata && files_dirfd_ >= 0 && reuse_ && early_sums_ && declared_size) {
      auto listed = early_sums_->find(name);
      if (listed != early_sums_->end())
        reused = reuse_(listed->second, *declared_size, parent_dir_of(name), base_name(name));
    }
    if (!metadata && files_dirfd_ >= 0 && !reused) {
      fd.reset(::openat(parent_dir_of(name), base_name(name).c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!fd) throw SystemError("cannot create " + what, errno);
    }
    std::uint64_t size = 0;
    static constexpr std::size_t kBuf = 64 * 1024;
    std::unique_ptr<char[]> buf(new char[kBuf]);
    for (;;) {
      la_ssize_t n = archive_read_data(archive_.get(), buf.get(), kBuf);
      if (n < 0) return rejected(name, "damaged archive data: " + archive_message(archive_.get()));
      if (n == 0) break;
      auto un = static_cast<std::uint64_t>(n);
      if (Status e = check_limits(name, un, true); !e) return e;
      total_bytes_ += un;
      size += un;
      hasher_.update(buf.get(), un);
      if (keep) {
        if (size > keep_limit)
          return rejected(name, "larger than " + std::to_string(keep_limit) + " bytes");
        keep->append(buf.get(), un);
      }
      if (fd) write_all(fd.get(), buf.get(), un, what);
      report_progress();
    }
    Sha256 digest = hasher_.finish();
    if (fd) {
      struct timespec times[2];
      times[0].tv_sec = times[1].tv_sec = mtime;
      times[0].tv_nsec = times[1].tv_nsec = 0;
      if (::futimens(fd.get(), times) != 0) throw SystemError("cannot set mtime of " + what, errno);
      // Read-only from now on: it may become the store's copy, linked by later revisions.
      if (::fchmod(fd.get(), 0444) != 0) throw SystemError("cannot chmod " + what, errno);
      // Not flushed here: the store flushes the staged revision once, before its rename.
    }
    // A reused link is never touched: its inode is other revisions' file too.
    if (metadata) {
      if (name == kRevisionName) revision_sha_ = digest;
    } else {
      out_->files.push_back(BundleFile{name, size, digest, mtime, reused});
    }
    return {};
  } catch (const SystemError& e) {
    return lpweb::system_error(name, e.what());
  }
}

Status Reader::run(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return rejected("cannot stat the bundle: " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return rejected("the bundle is not a regular file");
  bundle_size_ = static_cast<std::uint64_t>(st.st_size);

  archive_.reset(archive_read_new());
  if (!archive_) throw std::bad_alloc();
  struct archive* a = archive_.get();
  // Only the formats of the contract; no external-program filters.
  archive_read_support_filter_none(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK)
    return rejected("not a tar archive (plain, gzip, xz or zstd): " + archive_message(a));

  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      if (entries_ == 0)
        return rejected("not a tar archive (plain, gzip, xz or zstd): " + archive_message(a));
      return rejected("damaged archive after " + std::to_string(entries_) +
                              " entries: " + archive_message(a));
    }
    ++entries_;
    report_progress();
    const char* raw = archive_entry_pathname(e);
    if (!raw) raw = archive_entry_pathname_utf8(e);
    if (!raw) return rejected("entry " + std::to_string(entries_) + " has an unreadable name");
    std::string raw_name = raw;
    // Name the entry that went over, as for the byte and ratio limits.
    if (entries_ > options_.limits.max_entries)
      return rejected(raw_name, "the bundle has more than " + std::to_string(options_.limits.max_entries) +
                                    " entries (limit --max-entries)");
    mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e)) return rejected(raw_name, "hard links are not allowed");
    if (archive_entry_symlink(e) || type == AE_IFLNK)
      return rejected(raw_name, "symbolic links are not allowed");
    if (type == AE_IFCHR || type == AE_IFBLK) return rejected(raw_name, "device files are not allowed");
    if (type == AE_IFIFO) return rejected(raw_name, "FIFOs are not allowed");
    if (type == AE_IFSOCK) return rejected(raw_name, "sockets are not allowed");
    if (type != AE_IFREG && type != AE_IFDIR)
      return rejected(raw_name, "only regular files and directories are allowed");
    if (archive_entry_mode(e) & (S_ISUID | S_ISGID | S_ISVTX))
      return rejected(raw_name, "setuid, setgid and sticky modes are not allowed");
    bool is_dir = type == AE_IFDIR;
    lpweb::Result<std::string> normalized = normalize_entry_name(raw_name, is_dir);
    if (!normalized) return rejected(raw_name, normalized.error().message);
    const std::string& name = *normalized;
    if (name.empty()) continue;  // "./", the archive's root
    if (Status err = register_name(name, is_dir); !err) return err;
    std::int64_t mtime = archive_entry_mtime(e);
    if (is_dir) {
      if (files_dirfd_ >= 0) {
        try {
          open_parent_dirs(files_dirfd_, name, true);
        } catch (const SystemError& ex) {
          return lpweb::system_error(name, ex.what());
        }
      }
      out_->directories.push_back(BundleDirectory{name, mtime});
      continue;
    }
    // Refuse before inflating anything when the header already declares too much.
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
      if (Status err = check_limits(name, static_cast<std::uint64_t>(archive_entry_size(e)), false); !err)
        return err;
    Status err;
    if (name == kRevisionName) {
      have_revision_ = true;
      out_->revision_mtime = mtime;
      err = read_entry_data(name, mtime, true, &out_->revision_file, kMaxRevisionFileBytes);
    } else if (name == kSumsName) {
      have_sums_ = true;
      out_->sums_mtime = mtime;
      err = read_entry_data(name, mtime, true, &out_->sums, kMaxSumsFileBytes);
      if (err) err = read_sums_early();
    } else if (name == kSignatureName) {
      out_->signature.emplace();
      out_->signature_mtime = mtime;
      err = read_entry_data(name, mtime, true, &*out_->signature, kMaxSignatureFileBytes);
    } else {
      std::optional<std::uint64_t> declared;
      if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0)
        declared = static_cast<std::uint64_t>(archive_entry_size(e));
      err = read_entry_data(name, mtime, false, nullptr, 0, declared);
    }
    if (!err) return err;
  }
  return finish();
}

Status Reader::finish() {
  if (!have_revision_) return rejected(kRevisionName, "missing from the bundle");
  lpweb::Result<std::string> revision = parse_revision_file(out_->revision_file);
  if (!revision) return rejected(kRevisionName, revision.error().message);
  out_->revision = std::move(*revision);
  if (!have_sums_) return rejected(kSumsName, "missing from the bundle");
  if (!options_.trusted_key_pem.empty()) {
    if (!out_->signature)
      return rejected(kSignatureName,
                      "missing, but a trusted key is configured: the bundle must be signed");
    if (Status verified = ed25519_verify(options_.trusted_key_pem, out_->sums, *out_->signature); !verified)
      return rejected(kSignatureName, verified.error().message);
    out_->signature_verified = true;
  }
  // Parsed once: when it came before the assets, read_sums_early already did.
  lpweb::Result<std::map<std::string, Sha256>> sums =
      early_sums_ ? lpweb::Result<std::map<std::string, Sha256>>(std::move(*early_sums_)) : parse_sha256sums(out_->sums);
  if (!sums) return sums.error();
  std::map<std::string, Sha256>& listed = *sums;

  std::sort(out_->files.begin(), out_->files.end(),
            [](const BundleFile& a, const BundleFile& b) { return a.path < b.path; });
  std::sort(out_->directories.begin(), out_->directories.end(),
            [](const BundleDirectory& a, const BundleDirectory& b) { return a.path < b.path; });

  auto check = [&](const std::string& path, const Sha256& actual) -> Status {
    auto it = listed.find(path);
    if (it == listed.end()) return rejected(path, "not listed in SHA256SUMS");
    if (!digests_equal(it->second, actual))
      return rejected(path, "checksum mismatch: SHA256SUMS says " + to_hex(it->second) +
                                ", the content is " + to_hex(actual));
    listed.erase(it);
    return {};
  };
  if (Status err = check(kRevisionName, revision_sha_); !err) return err;
  for (const BundleFile& f : out_->files)
    if (Status err = check(f.path, f.sha256); !err) return err;
  if (!listed.empty()) {
    const std::string& path = listed.begin()->first;
    auto k = kinds_.find(path);
    if (k != kinds_.end() && k->second != 'f')
      return rejected(path, "listed in SHA256SUMS but is a directory in the archive");
    return rejected(path, "listed in SHA256SUMS but missing from the archive");
  }
  return {};
}

}  // namespace

lpweb::Result<UniqueFd> open_bundle(const std::string& bundle_path) {
  // O_NONBLOCK: a FIFO given as the bundle is refused, never waited on.
  UniqueFd fd(::open(bundle_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return rejected("cannot open the bundle: " + errno_text(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return rejected("cannot stat the bundle: " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return rejected("the bundle is not a regular file");
  return fd;
}

lpweb::Result<Bundle> read_bundle(int bundle_fd, const BundleOptions& options, int files_dirfd,
                                  const ReuseHook& reuse) {
  Bundle out;
  Reader reader(options, files_dirfd, reuse, &out);
  if (Status read = reader.run(bundle_fd); !read) return read.error();
  return out;
}

lpweb::Result<Bundle> read_bundle(const std::string& bundle_path, const BundleOptions& options, int files_dirfd) {
  lpweb::Result<UniqueFd> fd = open_bundle(bundle_path);
  if (!fd) return fd.error();
  return read_bundle(fd->get(), options, files_dirfd);
}

}  // namespace lpicing
