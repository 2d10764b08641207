// The store on disk, known here and nowhere else. The tool, the ingest and
// the module all find their way through it:
//
//   STORE/current, previous   -> revisions/<R>   (symlinks, flipped by rename)
//   STORE/revisions/<R>/files/<path>[.br|.gz]    the assets and their variants
//   STORE/revisions/<R>/INDEX, REVISION, SHA256SUMS[, SHA256SUMS.sig]
//   STORE/objects/<h0h1>/<sha256 hex>[.br|.font.br|.gz][.none]   the content pool (objects.h):
//                             every asset file of every revision is a hard link to one of these
//   STORE/objects.gc-pending  a prune removed revisions and has not yet collected the pool
//   STORE/staging/            deploys in progress
//   STORE/.lock               every writer's flock
//   STORE/activating, previous.pending          a writer's intent, finished by the next one
//   STORE/ingest.log[.1], ingest.state, ingest.reported   the drop directory's journal
//
// A link names a revision only as "revisions/<R>" (what the store writes) or
// "<STORE>/revisions/<R>" (an absolute link into this very store).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "index.h"

namespace lpicing::layout {

// Names inside STORE.
inline constexpr char kRevisions[] = "revisions";
inline constexpr char kStaging[] = "staging";
inline constexpr char kObjects[] = "objects";
inline constexpr char kGcPending[] = "objects.gc-pending";
inline constexpr char kLock[] = ".lock";
inline constexpr char kCurrent[] = "current";
inline constexpr char kPrevious[] = "previous";
inline constexpr char kPreviousPending[] = "previous.pending";
inline constexpr char kActivating[] = "activating";
inline constexpr char kJournal[] = "ingest.log";
inline constexpr char kJournalOld[] = "ingest.log.1";
inline constexpr char kJournalState[] = "ingest.state";
inline constexpr char kJournalReported[] = "ingest.reported";
// Names inside a revision directory.
inline constexpr char kFiles[] = "files";
inline constexpr char kIndex[] = "INDEX";
inline constexpr char kRevisionFile[] = "REVISION";
inline constexpr char kSums[] = "SHA256SUMS";
inline constexpr char kSignature[] = "SHA256SUMS.sig";

// STORE/<name>, with any trailing '/' of store_dir dropped.
std::string store_path(std::string_view store_dir, std::string_view name);
// STORE/revisions/<R>.
std::string revision_path(std::string_view store_dir, std::string_view revision);
// STORE/revisions/<R>/INDEX.
std::string index_path(std::string_view store_dir, std::string_view revision);
// "<path>.br" / "<path>.gz"; `path` itself for identity.
std::string variant_path(std::string_view path, Encoding encoding);
// STORE/revisions/<R>/files/<variant_path(path, encoding)>. The caller has
// validated revision and path.
std::string served_file_path(std::string_view store_dir, std::string_view revision, std::string_view path,
                             Encoding encoding);
// The link target that names revision R ("revisions/R").
std::string revision_link_target(std::string_view revision);

// The revision a link target names (see above), or "" for anything else.
std::string revision_of_link(std::string_view store_dir, std::string_view target);
// The revision STORE/<link> names, "" when absent or naming none. One
// readlink: a request reads current once and keeps that answer.
std::string read_revision_link(std::string_view store_dir, const char* link);
// The same through an open store directory (the writers' view).
std::string read_revision_link_at(int storefd, std::string_view store_dir, const char* link);

struct RevisionNames {
  std::vector<std::string> revisions;  // valid ids, in name order
  std::vector<std::string> invalid;    // other names (not hidden), in name order
  bool listing_failed = false;
  std::string listing_error;           // when it failed: why, with no path in it
};
// The one listing of STORE/revisions/. A store without revisions/ yet is
// empty; a missing or unreadable store is a failed listing.
RevisionNames list_revision_names(std::string_view store_dir);

}  // namespace lpicing::layout
