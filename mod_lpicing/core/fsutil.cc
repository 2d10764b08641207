// Implementation of the store's POSIX helpers. Every path walk is relative to an
// open directory and uses O_NOFOLLOW, so a symlink planted in the store is never followed.
#include "fsutil.h"
#include "hex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace lpicing {

SystemError::SystemError(const std::string& what, int err)
    : std::runtime_error(what + ": " + errno_text(err)), err_(err) {}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
  const char* s = strerror_r(err, buf, sizeof buf);
  return s;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

UniqueFd open_dir_at(int dirfd, const std::string& name, const std::string& what) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw SystemError("cannot open " + what, errno);
  return UniqueFd(fd);
}

UniqueFd open_dir_if_exists(int dirfd, const std::string& name, const std::string& what) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return UniqueFd();
    throw SystemError("cannot open " + what, errno);
  }
  return UniqueFd(fd);
}

UniqueFd ensure_dir_at(int dirfd, const std::string& name, const std::string& what) {
  bool created = false;
  if (::mkdirat(dirfd, name.c_str(), 0755) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    throw SystemError("cannot create " + what, errno);
  }
  UniqueFd fd = open_dir_at(dirfd, name, what);
  // The httpd children (another user) must be able to read what the store creates.
  if (created && ::fchmod(fd.get(), 0755) != 0) throw SystemError("cannot chmod " + what, errno);
  return fd;
}

void write_all(int fd, const void* data, std::size_t len, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write " + what, errno);
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

void fsync_fd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) throw SystemError("cannot flush " + what, errno);
}

void sync_filesystem_of(int fd, const std::string& what) {
  if (::syncfs(fd) != 0) throw SystemError("cannot flush " + what, errno);
}

void write_new_file_at(int dirfd, const std::string& name, std::string_view data,
                       const std::string& what) {
  UniqueFd fd(::openat(dirfd, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw SystemError("cannot create " + what, errno);
  if (::fchmod(fd.get(), 0644) != 0) throw SystemError("cannot chmod " + what, errno);
  write_all(fd.get(), data.data(), data.size(), what);
  fsync_fd(fd.get(), what);
}

std::vector<std::string> list_dir(int dirfd, const std::string& what) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw SystemError("cannot read " + what, errno);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    int e = errno;
    ::close(dup);
    throw SystemError("cannot read " + what, e);
  }
  ::rewinddir(d);  // the duplicate shares the offset of a descriptor read before
  std::vector<std::string> names;
  while (struct dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

void remove_contents(int dirfd, const std::string& what) {
  for (const std::string& n : list_dir(dirfd, what)) {
    struct stat st;
    bool is_dir = ::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (is_dir) {
      UniqueFd sub = open_dir_if_exists(dirfd, n, what);
      if (sub) remove_contents(sub.get(), what);
      if (::unlinkat(dirfd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw SystemError("cannot remove " + what + "/" + n, errno);
    } else if (::unlinkat(dirfd, n.c_str(), 0) != 0 && errno != ENOENT) {
      throw SystemError("cannot remove " + what + "/" + n, errno);
    }
  }
}

}  // namespace

void remove_tree_at(int dirfd, const std::string& name, const std::string& what) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw SystemError("cannot inspect " + what, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT)
      throw SystemError("cannot remove " + what, errno);
    return;
  }
  UniqueFd sub = open_dir_if_exists(dirfd, name, what);
  if (sub) remove_contents(sub.get(), what);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw SystemError("cannot remove " + what, errno);
}

lpweb::Result<std::string> read_file_at(int dirfd, const std::string& name, std::uint64_t max_bytes) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return lpweb::system_error("cannot open " + quote(name) + ": " + errno_text(errno));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return lpweb::system_error("cannot read " + quote(name) + ": " + errno_text(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes)
      return lpweb::rejected(quote(name) + " is larger than " + std::to_string(max_bytes) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

lpweb::Result<std::string> read_file(const std::string& path, std::uint64_t max_bytes) {
  return read_file_at(AT_FDCWD, path, max_bytes);
}

std::string random_suffix() {
  unsigned char b[8];
  std::size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot get random bytes", errno);
    }
    got += static_cast<std::size_t>(n);
  }
  std::string s;
  lpweb::append_hex(s, b, sizeof b);
  return s;
}

}  // namespace lpicing
