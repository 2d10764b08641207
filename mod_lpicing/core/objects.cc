// The store's content-addressed object pool (layout and rules in objects.h).
#include "objects.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "crypto.h"
#include "precompress.h"
#include "store_layout.h"

namespace lpicing {

namespace {

constexpr std::size_t kHexLength = 64;

const char* suffix_of(VariantKind kind) {
  switch (kind) {
    case VariantKind::br_text: return ".br";
    case VariantKind::br_font: return ".font.br";
    case VariantKind::gzip: return ".gz";
  }
  return ".unknown";
}

constexpr char kNotWorth[] = ".none";

Encoding encoding_of(VariantKind kind) { return kind == VariantKind::gzip ? Encoding::gzip : Encoding::br; }

std::string fan_name(const Sha256& sha) { return to_hex(sha).substr(0, 2); }

}  // namespace

std::string object_relative_path(const Sha256& sha) {
  std::string hex = to_hex(sha);
  return std::string(layout::kObjects) + "/" + hex.substr(0, 2) + "/" + hex;
}

std::string object_relative_path(const Sha256& sha, VariantKind kind) { return object_relative_path(sha) + suffix_of(kind); }

int ObjectPool::objects_dir(bool create) {
  if (!objects_) {
    objects_ = create ? ensure_dir_at(storefd_, layout::kObjects, "objects directory")
                      : open_dir_if_exists(storefd_, layout::kObjects, "objects directory");
  }
  return objects_.get();
}

int ObjectPool::fan_dir(const Sha256& sha, bool create) {
  UniqueFd& fan = fans_[sha[0]];
  if (!fan) {
    int objects = objects_dir(create);
    if (objects < 0) return -1;
    std::string name = fan_name(sha);
    fan = create ? ensure_dir_at(objects, name, "objects directory " + quote(name))
                 : open_dir_if_exists(objects, name, "objects directory " + quote(name));
  }
  return fan.get();
}

bool ObjectPool::link_object(const Sha256& sha, std::uint64_t size, int dirfd, const std::string& name) {
  try {
    int fan = fan_dir(sha, false);
    if (fan < 0) return false;
    std::string object = to_hex(sha);
    struct stat st;
    if (::fstatat(fan, object.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) != size)
      return false;
    return ::linkat(fan, object.c_str(), dirfd, name.c_str(), 0) == 0;
  } catch (const SystemError&) {
    return false;
  }
}

VariantState ObjectPool::link_variant(const Sha256& sha, VariantKind kind, int dirfd, const std::string& name,
                                      Variant* out) {
  int fan;
  try {
    fan = fan_dir(sha, false);
  } catch (const SystemError&) {
    return VariantState::unknown;
  }
  if (fan < 0) return VariantState::unknown;
  std::string object = to_hex(sha) + suffix_of(kind);
  struct stat st;
  if (::fstatat(fan, (object + kNotWorth).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
    return VariantState::absent_not_worth;
  if (::fstatat(fan, object.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return VariantState::unknown;
  if (::linkat(fan, object.c_str(), dirfd, name.c_str(), 0) != 0) return VariantState::unknown;
  // The INDEX needs the variant's own digest: read it back through the new name.
  lpweb::Result<std::string> bytes = read_file_at(dirfd, name, kMaxPrecompressBytes);
  if (!bytes) throw SystemError("cannot read variant " + quote(name) + " (" + bytes.error().message + ")", EIO);
  *out = Variant{encoding_of(kind), bytes->size(), sha256_of(*bytes)};
  return VariantState::present;
}

bool ObjectPool::add_link(int dirfd, const std::string& name, const Sha256& sha, const std::string& object_name) {
  try {
    int fan = fan_dir(sha, true);
    if (::linkat(dirfd, name.c_str(), fan, object_name.c_str(), 0) == 0) return true;
    return errno == EEXIST;  // the same bytes, already pooled
  } catch (const SystemError&) {
    return false;
  }
}

bool ObjectPool::adopt(int dirfd, const std::string& name, const Sha256& sha) {
  return add_link(dirfd, name, sha, to_hex(sha));
}

bool ObjectPool::adopt_variant(int dirfd, const std::string& name, const Sha256& sha, VariantKind kind) {
  return add_link(dirfd, name, sha, to_hex(sha) + suffix_of(kind));
}

bool ObjectPool::mark_not_worth(const Sha256& sha, VariantKind kind) {
  try {
    int fan = fan_dir(sha, true);
    std::string mark = to_hex(sha) + suffix_of(kind) + kNotWorth;
    UniqueFd fd(::openat(fan, mark.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444));
    return static_cast<bool>(fd) || errno == EEXIST;
  } catch (const SystemError&) {
    return false;
  }
}

std::uint64_t ObjectPool::collect_garbage(const StepHook& hook) {
  int objects = objects_dir(false);
  if (objects < 0) return 0;
  std::uint64_t freed = 0;
  bool first = true;
  for (const std::string& fan_name : list_dir(objects, "objects directory")) {
    UniqueFd fan = open_dir_at(objects, fan_name, "objects directory " + quote(fan_name));
    std::vector<std::string> names = list_dir(fan.get(), "objects directory " + quote(fan_name));
    // An object some revision still links (a second name) keeps its variants and marks.
    std::set<std::string> alive;
    for (const std::string& n : names) {
      struct stat st;
      if (n.size() == kHexLength && ::fstatat(fan.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_nlink > 1)
        alive.insert(n);
    }
    for (const std::string& n : names) {
      if (alive.count(n.substr(0, kHexLength))) continue;
      struct stat st;
      if (::fstatat(fan.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(st.st_mode)) continue;  // not ours; never written by the store
      if (::unlinkat(fan.get(), n.c_str(), 0) != 0 && errno != ENOENT)
        throw SystemError("cannot remove unused object " + quote(fan_name + "/" + n), errno);
      if (st.st_nlink == 1) freed += static_cast<std::uint64_t>(st.st_size);
      if (first && hook) hook("during-gc");
      first = false;
    }
  }
  return freed;
}

}  // namespace lpicing
