// Part of the store module: STORE/objects, the content-addressed pool that
// lets a deploy cost what changed. Every asset file of every revision is a
// hard link to one object, named by its SHA-256:
//
//   objects/<h0h1>/<hex>              the bytes whose SHA-256 is <hex>
//   objects/<h0h1>/<hex>.br           brotli of them (quality 11, text mode)
//   objects/<h0h1>/<hex>.font.br      brotli of them in font mode
//   objects/<h0h1>/<hex>.gz           gzip -9 of them
//   objects/<h0h1>/<hex>.<v>.none     empty: variant <v> was computed and not worth keeping
//
// A variant depends only on the bytes and its parameters, so one computed
// once is never computed again. Revisions stay complete on their own (the
// links are ordinary names of the same inodes), prune drops a revision's
// names and then collects objects no revision links any more (link count 1).
// Objects are added only after their revision is in place, so a failed or
// killed deploy adds none; a killed prune leaves unlinked objects that the
// next prune collects. Nothing ever writes to, chmods or touches an object.
// Callers hold the store lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fsutil.h"
#include "index.h"
#include "store.h"

namespace lpicing {

// The deploy-time variants an object can have.
enum class VariantKind { br_text, br_font, gzip };
// What the pool knows of one variant.
enum class VariantState { unknown, absent_not_worth, present };

class ObjectPool {
 public:
  // `storefd`: the locked store. objects/ is made on first use.
  explicit ObjectPool(int storefd) : storefd_(storefd) {}

  // Links the object with digest `sha` (which must be `size` bytes) as
  // `name` in `dirfd`. False when there is none, or it cannot be linked (the
  // caller then writes the file). Never throws.
  bool link_object(const Sha256& sha, std::uint64_t size, int dirfd, const std::string& name);
  // The variant of object `sha`: present (then linked as `name` in `dirfd`,
  // with its size and digest in *out), known not worth keeping, or unknown.
  // Throws SystemError only when the linked variant cannot be read back.
  VariantState link_variant(const Sha256& sha, VariantKind kind, int dirfd, const std::string& name, Variant* out);

  // Adds `name` in `dirfd` (a file of a revision in place) as object `sha`;
  // an object already there wins. False when it could not be added: the
  // revision is whole all the same, only later deploys reuse less.
  bool adopt(int dirfd, const std::string& name, const Sha256& sha);
  bool adopt_variant(int dirfd, const std::string& name, const Sha256& sha, VariantKind kind);
  // Records that variant `kind` of `sha` is not worth keeping.
  bool mark_not_worth(const Sha256& sha, VariantKind kind);

  // Removes every object no revision links any more, with its variants and
  // marks, and variants whose object is gone. `hook` hears "during-gc" after
  // the first removal. The bytes freed. Throws SystemError.
  std::uint64_t collect_garbage(const StepHook& hook);

 private:
  int objects_dir(bool create);
  int fan_dir(const Sha256& sha, bool create);
  bool add_link(int dirfd, const std::string& name, const Sha256& sha, const std::string& object_name);

  int storefd_;
  UniqueFd objects_;
  UniqueFd fans_[256];
};

// "objects/<h0h1>/<hex>", or with `kind` its variant's name; for tests and tools.
std::string object_relative_path(const Sha256& sha);
std::string object_relative_path(const Sha256& sha, VariantKind kind);

}  // namespace lpicing
