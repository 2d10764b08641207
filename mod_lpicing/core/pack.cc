// Bundle writer with libarchive's writer (pax, gzip): fixed owner 0/0, modes 0644/0755,
// file mtimes kept and no gzip timestamp, so the same directory packs to the same bytes.
#include "pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "bundle.h"
#include "crypto.h"
#include "fsutil.h"

namespace lpicing {

namespace {

struct Item {
  std::string path;
  bool is_dir = false;
  std::int64_t mtime = 0;
  std::uint64_t size = 0;
  Sha256 sha256{};
};

struct WriteFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

// Collects regular files and directories below `dirfd`; refuses anything else. Throws
// std::runtime_error with the operator-facing reason.
void collect(int dirfd, const std::string& prefix, std::vector<Item>* items) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
  if (!d) throw SystemError("cannot read " + quote(prefix.empty() ? "." : prefix), errno);
  std::vector<std::string> names;
  while (struct dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) {
    std::string path = prefix.empty() ? n : prefix + "/" + n;
    struct stat st;
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw SystemError("cannot inspect " + quote(path), errno);
    if (S_ISLNK(st.st_mode))
      throw std::runtime_error(quote(path) + " is a symbolic link; bundles hold only regular files and directories");
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
      throw std::runtime_error(quote(path) + " is a special file; bundles hold only regular files and directories");
    if (lpweb::Result<std::string> name = normalize_entry_name(path, S_ISDIR(st.st_mode)); !name)
      throw std::runtime_error(quote(path) + ": " + name.error().message);
    if (prefix.empty() && is_metadata_name(n))
      throw std::runtime_error("the source directory already contains " + n +
                               "; pack writes it itself");
    Item item;
    item.path = path;
    item.is_dir = S_ISDIR(st.st_mode);
    item.mtime = st.st_mtime;
    if (item.is_dir) {
      items->push_back(item);
      UniqueFd sub = open_dir_at(dirfd, n, quote(path));
      collect(sub.get(), path, items);
      continue;
    }
    UniqueFd fd(::openat(dirfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw SystemError("cannot open " + quote(path), errno);
    Sha256Hasher h;
    char buf[65536];
    for (;;) {
      ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw SystemError("cannot read " + quote(path), errno);
      }
      if (r == 0) break;
      h.update(buf, static_cast<std::size_t>(r));
      item.size += static_cast<std::uint64_t>(r);
    }
    item.sha256 = h.finish();
    items->push_back(item);
  }
}

std::string sums_line(const Sha256& digest, const std::string& path) {
  // sha256sum's convention for names holding a backslash.
  if (path.find('\\') == std::string::npos) return to_hex(digest) + "  " + path + "\n";
  std::string escaped;
  for (char c : path) {
    if (c == '\\') escaped += "\\\\";
    else escaped.push_back(c);
  }
  return "\\" + to_hex(digest) + "  " + escaped + "\n";
}

void check(struct archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_WARN) {
    const char* s = archive_error_string(a);
    throw std::runtime_error("cannot write " + what + ": " + (s ? s : "unknown error"));
  }
}

void add_entry(struct archive* a, const std::string& path, bool is_dir, std::int64_t mtime,
               std::uint64_t size) {
  std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> e(archive_entry_new(),
                                                                          archive_entry_free);
  archive_entry_copy_pathname(e.get(), path.c_str());
  archive_entry_set_filetype(e.get(), is_dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e.get(), is_dir ? 0755 : 0644);
  archive_entry_set_size(e.get(), is_dir ? 0 : static_cast<la_int64_t>(size));
  archive_entry_set_mtime(e.get(), mtime, 0);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  check(a, archive_write_header(a, e.get()), quote(path));
}

void add_data(struct archive* a, const std::string& path, std::string_view data) {
  if (!data.empty() && archive_write_data(a, data.data(), data.size()) < 0)
    check(a, ARCHIVE_FATAL, quote(path));
}

}  // namespace

lpweb::Status pack_bundle(const PackOptions& options) {
  if (!is_valid_revision_id(options.revision))
    return lpweb::rejected("revision id " + quote(options.revision) + " does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  const bool to_fd = options.output_fd >= 0;
  std::string part = options.output + ".part";
  try {
    UniqueFd src = open_dir_at(AT_FDCWD, options.source_dir, "source directory " + quote(options.source_dir));
    std::vector<Item> items;
    collect(src.get(), "", &items);
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.path < b.path; });

    std::int64_t meta_mtime = 0;
    for (const Item& i : items) meta_mtime = std::max(meta_mtime, i.mtime);
    std::string revision_file = options.revision + "\n";
    std::vector<std::pair<std::string, std::string>> lines;  // path, line
    lines.emplace_back("REVISION", sums_line(sha256_of(revision_file), "REVISION"));
    for (const Item& i : items)
      if (!i.is_dir) lines.emplace_back(i.path, sums_line(i.sha256, i.path));
    std::sort(lines.begin(), lines.end());
    std::string sums;
    for (auto& l : lines) sums += l.second;
    std::string signature;
    if (!options.private_key_pem.empty()) {
      lpweb::Result<std::string> signed_sums = ed25519_sign(options.private_key_pem, sums);
      if (!signed_sums) return lpweb::rejected("cannot sign SHA256SUMS: " + signed_sums.error().message);
      signature = std::move(*signed_sums);
    }

    std::unique_ptr<struct archive, WriteFree> a(archive_write_new());
    if (!a) throw std::bad_alloc();
    check(a.get(), archive_write_add_filter_gzip(a.get()), "gzip filter");
    // Without this the gzip header would carry the packing time.
    archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);
    check(a.get(), archive_write_set_format_pax_restricted(a.get()), "tar format");
    if (to_fd) {
      // No padding of the last block: after the gzip stream it would be trailing garbage.
      check(a.get(), archive_write_set_bytes_in_last_block(a.get(), 1), "block size");
      check(a.get(), archive_write_open_fd(a.get(), options.output_fd), "standard output");
    } else {
      ::unlink(part.c_str());
      check(a.get(), archive_write_open_filename(a.get(), part.c_str()), quote(part));
    }
    add_entry(a.get(), "REVISION", false, meta_mtime, revision_file.size());
    add_data(a.get(), "REVISION", revision_file);
    add_entry(a.get(), "SHA256SUMS", false, meta_mtime, sums.size());
    add_data(a.get(), "SHA256SUMS", sums);
    if (!signature.empty()) {
      add_entry(a.get(), "SHA256SUMS.sig", false, meta_mtime, signature.size());
      add_data(a.get(), "SHA256SUMS.sig", signature);
    }
    for (const Item& i : items) {
      add_entry(a.get(), i.is_dir ? i.path + "/" : i.path, i.is_dir, i.mtime, i.size);
      if (i.is_dir) continue;
      UniqueFd fd(::openat(src.get(), i.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) throw SystemError("cannot open " + quote(i.path), errno);
      char buf[65536];
      std::uint64_t written = 0;
      for (;;) {
        ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0) {
          if (errno == EINTR) continue;
          throw SystemError("cannot read " + quote(i.path), errno);
        }
        if (r == 0) break;
        written += static_cast<std::uint64_t>(r);
        if (written > i.size) throw std::runtime_error(quote(i.path) + " changed while packing");
        add_data(a.get(), i.path, std::string_view(buf, static_cast<std::size_t>(r)));
      }
      if (written != i.size) throw std::runtime_error(quote(i.path) + " changed while packing");
    }
    check(a.get(), archive_write_close(a.get()), to_fd ? "standard output" : quote(part));
    a.reset();
    if (to_fd) return {};
    UniqueFd out(::open(part.c_str(), O_RDONLY | O_CLOEXEC));
    if (!out || ::fchmod(out.get(), 0644) != 0 || ::fsync(out.get()) != 0)
      throw SystemError("cannot flush " + quote(part), errno);
    if (::rename(part.c_str(), options.output.c_str()) != 0)
      throw SystemError("cannot rename " + quote(part) + " to " + quote(options.output), errno);
    return {};
  } catch (const std::exception& e) {
    if (!to_fd) ::unlink(part.c_str());
    return lpweb::system_error(e.what());
  }
}

}  // namespace lpicing
