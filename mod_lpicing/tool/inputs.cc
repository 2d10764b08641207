// The inputs several verbs share (see inputs.h).
#include "inputs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

namespace lpicing_tool {

namespace {

constexpr std::uint64_t kMaxKeyBytes = 1 << 16;

// The trusted key from --trusted-key-fd: a descriptor the watcher filled with
// the key httpd read at configuration time. Its failures stay exit 3, as the
// watcher has always seen them.
std::optional<InputProblem> read_key_fd(const std::string& fd_text, std::string* pem) {
  std::optional<std::uint64_t> n = parse_u64(fd_text);
  if (!n || *n < 3 || *n > 1024) return InputProblem{kExitUsage, "--trusted-key-fd needs a descriptor number from 3 to 1024"};
  int fd = static_cast<int>(*n);
  pem->clear();
  char buf[4096];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return InputProblem{kExitStoreError, "cannot read the trusted key from descriptor " + fd_text + ": " +
                                               lpicing::errno_text(errno)};
    if (got == 0) break;
    pem->append(buf, static_cast<std::size_t>(got));
    if (pem->size() > kMaxKeyBytes)
      return InputProblem{kExitStoreError, "the trusted key on descriptor " + fd_text + " is larger than 64 KiB"};
  }
  ::close(fd);
  if (lpweb::Status key = lpicing::ed25519_check_public_key(*pem); !key)
    return InputProblem{kExitStoreError,
                        "the trusted key on descriptor " + fd_text + " is unusable: " + key.error().message};
  return std::nullopt;
}

}  // namespace

int report(const Output& out, const InputProblem& problem) {
  if (problem.code == kExitUsage) return out.usage(problem.message);
  return out.fail(problem.code, problem.message);
}

std::optional<InputProblem> read_key_file(const std::string& path, const char* what, std::string* pem) {
  lpweb::Result<std::string> read = lpicing::read_file(path, kMaxKeyBytes);
  if (!read) return InputProblem{kExitNoInput, std::string("cannot read ") + what + ": " + read.error().message};
  *pem = std::move(*read);
  return std::nullopt;
}

std::optional<InputProblem> read_bundle_options(const Args& args, lpicing::BundleOptions* o) {
  if (args.has(Opt::max_entries)) {
    std::optional<std::uint64_t> n = parse_u64(args.value(Opt::max_entries));
    if (!n || *n == 0) return InputProblem{kExitUsage, "--max-entries needs a positive number"};
    o->limits.max_entries = *n;
  }
  if (args.has(Opt::max_bytes)) {
    std::optional<std::uint64_t> n = parse_u64(args.value(Opt::max_bytes));
    if (!n || *n == 0) return InputProblem{kExitUsage, "--max-bytes needs a positive number"};
    o->limits.max_bytes = *n;
  }
  if (args.has(Opt::max_ratio)) {
    std::optional<double> r = parse_positive_double(args.value(Opt::max_ratio));
    if (!r) return InputProblem{kExitUsage, "--max-ratio needs a positive number"};
    o->limits.max_ratio = *r;
  }
  if (args.has(Opt::trusted_key) && args.has(Opt::trusted_key_fd))
    return InputProblem{kExitUsage, "--trusted-key and --trusted-key-fd are exclusive"};
  if (args.has(Opt::trusted_key_fd)) return read_key_fd(args.value(Opt::trusted_key_fd), &o->trusted_key_pem);
  if (args.has(Opt::trusted_key)) {
    const std::string& path = args.value(Opt::trusted_key);
    if (auto problem = read_key_file(path, "trusted key", &o->trusted_key_pem)) return problem;
    if (lpweb::Status key = lpicing::ed25519_check_public_key(o->trusted_key_pem); !key)
      return InputProblem{kExitNoInput, "trusted key " + lpicing::quote(path) + " is unusable: " + key.error().message};
  }
  return std::nullopt;
}

std::optional<InputProblem> read_keep(const Args& args, std::optional<std::size_t>* keep) {
  if (!args.has(Opt::keep)) return std::nullopt;
  std::optional<std::uint64_t> n = parse_u64(args.value(Opt::keep));
  if (!n || *n == 0) return InputProblem{kExitUsage, "--keep needs a number of revisions, at least 1"};
  *keep = static_cast<std::size_t>(*n);
  return std::nullopt;
}

std::optional<InputProblem> open_bundle_file(const std::string& path, lpicing::UniqueFd* fd) {
  lpweb::Result<lpicing::UniqueFd> opened = lpicing::open_bundle(path);
  if (!opened) return InputProblem{kExitNoInput, "bundle " + lpicing::quote(path) + ": " + opened.error().what()};
  *fd = std::move(*opened);
  return std::nullopt;
}

std::string become_store_owner(const std::string& store_dir) {
  if (::geteuid() != 0) return "";
  struct stat st;
  if (::stat(store_dir.c_str(), &st) != 0 || st.st_uid == 0) return "";
  const passwd* pw = ::getpwuid(st.st_uid);
  gid_t gid = pw ? pw->pw_gid : st.st_gid;
  bool groups_ok = pw ? ::initgroups(pw->pw_name, gid) == 0 : ::setgroups(0, nullptr) == 0;
  if (!groups_ok || ::setgid(gid) != 0 || ::setuid(st.st_uid) != 0)
    return "cannot become the store's owner (uid " + std::to_string(st.st_uid) + "): " + lpicing::errno_text(errno);
  if (::setuid(0) == 0) return "still able to regain root after becoming the store's owner";
  return "";
}

void fault_injection(const char* step) {
  const char* f = getenv("LPICING_FAULT");
  if (f && strcmp(f, step) == 0) raise(SIGKILL);
}

}  // namespace lpicing_tool
