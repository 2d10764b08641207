// The store's paths and links.
#include "store_layout.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <system_error>

namespace lpicing::layout {
namespace {

std::string_view without_trailing_slashes(std::string_view s) {
  while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  return s;
}

// STORE/NAME with room for `extra` more bytes: the request path builds two
// paths per request, each with one allocation.
std::string store_path_with_room(std::string_view store_dir, std::string_view name, std::size_t extra) {
  store_dir = without_trailing_slashes(store_dir);
  std::string out;
  out.reserve(store_dir.size() + 1 + name.size() + extra);
  out.append(store_dir);
  if (out != "/") out.push_back('/');
  out.append(name);
  return out;
}

std::string revision_path_with_room(std::string_view store_dir, std::string_view revision, std::size_t extra) {
  std::string out = store_path_with_room(store_dir, kRevisions, 1 + revision.size() + extra);
  out.push_back('/');
  out.append(revision);
  return out;
}

const char* variant_suffix(Encoding encoding) {
  return encoding == Encoding::br ? ".br" : encoding == Encoding::gzip ? ".gz" : "";
}

}  // namespace

std::string store_path(std::string_view store_dir, std::string_view name) {
  return store_path_with_room(store_dir, name, 0);
}

std::string revision_path(std::string_view store_dir, std::string_view revision) {
  return revision_path_with_room(store_dir, revision, 0);
}

std::string index_path(std::string_view store_dir, std::string_view revision) {
  return revision_path_with_room(store_dir, revision, 1 + std::char_traits<char>::length(kIndex))
      .append("/")
      .append(kIndex);
}

std::string variant_path(std::string_view path, Encoding encoding) {
  return std::string(path).append(variant_suffix(encoding));
}

std::string served_file_path(std::string_view store_dir, std::string_view revision, std::string_view path,
                             Encoding encoding) {
  std::string out = revision_path_with_room(store_dir, revision, 7 + path.size() + 3);
  out.append("/").append(kFiles).append("/").append(path).append(variant_suffix(encoding));
  return out;
}

std::string revision_link_target(std::string_view revision) {
  return std::string(kRevisions) + "/" + std::string(revision);
}

std::string revision_of_link(std::string_view store_dir, std::string_view target) {
  target = without_trailing_slashes(target);
  std::size_t slash = target.rfind('/');
  if (slash == std::string_view::npos) return {};
  std::string_view parent = target.substr(0, slash), id = target.substr(slash + 1);
  if (parent != kRevisions && parent != store_path(store_dir, kRevisions)) return {};
  return is_valid_revision_id(id) ? std::string(id) : std::string();
}

std::string read_revision_link(std::string_view store_dir, const char* link) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(store_path(store_dir, link).c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  return revision_of_link(store_dir, std::string_view(buf, static_cast<std::size_t>(n)));
}

std::string read_revision_link_at(int storefd, std::string_view store_dir, const char* link) {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(storefd, link, buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  return revision_of_link(store_dir, std::string_view(buf, static_cast<std::size_t>(n)));
}

RevisionNames list_revision_names(std::string_view store_dir) {
  RevisionNames out;
  std::string dir = store_path(store_dir, kRevisions);
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    int err = errno;
    // A store never deployed to has no revisions/ yet: empty, not broken. A
    // store that is not there at all is what an operator must hear about.
    struct stat st;
    if (err == ENOENT && ::stat(store_path(store_dir, "").c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return out;
    out.listing_failed = true;
    out.listing_error = std::string(kRevisions) + ": " + std::generic_category().message(err);
    return out;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    (is_valid_revision_id(name) ? out.revisions : out.invalid).emplace_back(name);
  }
  ::closedir(d);
  std::sort(out.revisions.begin(), out.revisions.end());
  std::sort(out.invalid.begin(), out.invalid.end());
  return out;
}

}  // namespace lpicing::layout
