// POSIX file-system helpers for the store and the bundle writer: *at() calls that
// never follow symlinks, durable writes, recursive removal, and message quoting.
// Functions that throw say so; they throw SystemError (a std::runtime_error).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>
#include <string_view>

#include "result.h"
#include "text.h"

namespace lpicing {

// An I/O failure of the store or staging area (not a problem of the bundle).
class SystemError : public std::runtime_error {
 public:
  SystemError(const std::string& what, int err);
  int error_number() const { return err_; }

 private:
  int err_;
};

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Opens an existing directory `name` relative to `dirfd`, refusing symlinks. Throws.
UniqueFd open_dir_at(int dirfd, const std::string& name, const std::string& what);
// Like open_dir_at but returns an empty UniqueFd when `name` does not exist. Throws otherwise.
UniqueFd open_dir_if_exists(int dirfd, const std::string& name, const std::string& what);
// Creates directory `name` (0755 regardless of umask) unless it exists; opens it. Throws.
UniqueFd ensure_dir_at(int dirfd, const std::string& name, const std::string& what);
// Creates a new file (O_EXCL, 0644 regardless of umask), writes `data`, fsyncs. Throws.
void write_new_file_at(int dirfd, const std::string& name, std::string_view data,
                       const std::string& what);
// Writes all of `data` to `fd`. Throws.
void write_all(int fd, const void* data, std::size_t len, const std::string& what);
// Removes `name` under `dirfd` and everything below it, never following symlinks.
// A missing `name` is fine. Throws.
void remove_tree_at(int dirfd, const std::string& name, const std::string& what);
// The names in a directory (no "." or ".."), sorted. Throws SystemError.
std::vector<std::string> list_dir(int dirfd, const std::string& what);
void fsync_fd(int fd, const std::string& what);  // throws
// syncfs(2): flushes the whole file system holding `fd`, and reports write-back errors
// that happened since `fd` was opened (Linux 5.8+). Throws.
void sync_filesystem_of(int fd, const std::string& what);
// A whole file; the error when missing, unreadable or over max_bytes. Never
// follows a symlink as the last component.
lpweb::Result<std::string> read_file(const std::string& path, std::uint64_t max_bytes);
lpweb::Result<std::string> read_file_at(int dirfd, const std::string& name, std::uint64_t max_bytes);
// 16 random hex characters for unique staging names.
std::string random_suffix();
// Quotes a name for a one-line message: "..." with control bytes, '"' and '\' escaped.
using lpweb::quote;
std::string errno_text(int err);

}  // namespace lpicing
