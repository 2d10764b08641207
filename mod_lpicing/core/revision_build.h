// Part of the store module: what a staged revision gets once the bundle
// reader has written its files (see revision_build.cc).
#pragma once

#include <optional>
#include <vector>

#include "bundle.h"
#include "index.h"
#include "objects.h"

namespace lpicing {

// A staged file (or a variant's mark) to add to the object pool once its
// revision is in place.
struct Adoption {
  std::string path;                 // below files/; empty for a mark
  Sha256 sha256{};                  // the object's name: the identity bytes' digest
  std::optional<VariantKind> kind;  // a variant of that object
};

struct BuiltRevision {
  std::vector<IndexEntry> entries;
  std::vector<Adoption> adoptions;
  std::size_t variants_reused = 0, variants_computed = 0;
};

// The variant kind a deploy computes for `encoding` of `path`.
VariantKind variant_kind(Encoding encoding, const std::string& path);

// Gives every servable file its deploy-time variants (.br/.gz) below
// `filesfd`: linked from `pool` (optional) when computed before, else
// computed (brotli 11 on every core) and listed for adoption, as is every
// file written rather than reused. Returns the INDEX entries. Throws
// SystemError or std::runtime_error naming the file. `on_progress`
// (optional) hears of each file precompressed, one thread at a time.
BuiltRevision build_entries(int filesfd, const Bundle& bundle, ObjectPool* pool,
                            const ProgressHook& on_progress = {});
// Gives the staged directories the mtimes the bundle carries. Throws SystemError.
void set_directory_mtimes(int filesfd, const Bundle& bundle);

}  // namespace lpicing
