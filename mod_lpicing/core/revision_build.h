// Part of the store module: what a staged revision gets once the bundle
// reader has written its files (see revision_build.cc).
#pragma once

#include <vector>

#include "bundle.h"
#include "index.h"

namespace lpicing {

// Writes the deploy-time variants (.br/.gz) below `filesfd` and returns every
// servable file's INDEX entry. Throws SystemError or std::runtime_error naming the file.
// `on_progress` (optional) hears of each file precompressed, one thread at a time.
std::vector<IndexEntry> build_entries(int filesfd, const Bundle& bundle, const ProgressHook& on_progress = {});
// Gives the staged directories the mtimes the bundle carries. Throws SystemError.
void set_directory_mtimes(int filesfd, const Bundle& bundle);

}  // namespace lpicing
