// Making a bundle from a directory (`lpicing pack`): REVISION, SHA256SUMS, an optional
// Ed25519 SHA256SUMS.sig, then the files in byte order, as a deterministic tar.gz.
#pragma once

#include <string>

#include "result.h"

namespace lpicing {

struct PackOptions {
  std::string source_dir;
  std::string revision;
  std::string private_key_pem;  // empty: unsigned
  std::string output;           // written as OUTPUT.part, then renamed into place
  int output_fd = -1;           // when >= 0, the bundle goes there instead (a pipe); `output` is unused
};

// Writes the bundle, or says in one line why not. Throws only std::bad_alloc.
lpweb::Status pack_bundle(const PackOptions& options);

}  // namespace lpicing
