// What several verbs read before they start: bundle limits and trusted keys,
// --keep, the bundle file itself, and the store owner's identity to take on.
// A problem is a usage error (64) or an input that cannot be used (66, or 3
// for the watcher's key descriptor).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "bundle.h"
#include "cli.h"
#include "fsutil.h"

namespace lpicing_tool {

struct InputProblem {
  int code;  // kExitUsage, kExitNoInput or kExitStoreError
  std::string message;
};
// The problem as the verb's one line (and usage hint, or JSON): its code.
int report(const Output& out, const InputProblem& problem);

// --max-entries, --max-bytes, --max-ratio, --trusted-key FILE or --trusted-key-fd FD.
std::optional<InputProblem> read_bundle_options(const Args& args, lpicing::BundleOptions* options);
// --keep N (N >= 1); untouched when not given.
std::optional<InputProblem> read_keep(const Args& args, std::optional<std::size_t>* keep);
// A whole key file (PEM, at most 64 KiB); `what` names it ("private key").
std::optional<InputProblem> read_key_file(const std::string& path, const char* what, std::string* pem);
// The bundle named on the command line, opened without blocking: a missing
// or unreadable file, or one that is not a regular file, is kExitNoInput.
std::optional<InputProblem> open_bundle_file(const std::string& path, lpicing::UniqueFd* fd);

// Run as root against a store another user owns (the deploy user of the drop
// directory), a writing verb becomes that user once its inputs are open.
// "" or why it could not.
std::string become_store_owner(const std::string& store_dir);
// LPICING_FAULT=<step> kills the tool at that store step (crash-consistency tests).
void fault_injection(const char* step);

}  // namespace lpicing_tool
