// What a store holds, read without its lock: the one report behind the
// status page (SetHandler lpicing-status), `lpicing list` and pruning, and
// its one JSON schema, versioned. Schema 1:
//
//   {"schema": 1, "current": "R"|null, "previous": "R"|null,
//    "revisions": [{"revision", "current", "previous", "files", "bytes",
//                   "deployed" (ISO-8601 UTC), "deployed_unix", "sha256sums"}, ...]
//                  newest deploy first,
//    "errors": [{"revision": "R"|null, "error": "why"}, ...]}
//
// "errors" lists what is in revisions/ but cannot be served (a missing or
// broken INDEX, a name that is no revision id); an error names paths inside
// the store only. The status page adds its counters after these members.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index.h"
#include "index_cache.h"
#include "json_writer.h"

namespace lpicing {

inline constexpr int kStoreReportSchema = 1;

struct RevisionReport {
  std::string revision;
  IndexHeader header;
};

struct RevisionError {
  RevisionError() = default;
  RevisionError(std::string r, std::string w) : revision(std::move(r)), why(std::move(w)) {}
  std::string revision;  // empty: the listing itself failed
  std::string why;
  bool is_revision = false;  // a valid revision id, whose directory is there
  std::int64_t mtime = 0;    // its directory's, for retention when INDEX is unreadable
};

struct StoreReport {
  std::string current;                    // "" when there is none
  std::string previous;
  std::vector<RevisionReport> revisions;  // servable ones, newest deploy first, then by name
  std::vector<RevisionError> errors;      // by name
  bool listing_failed = false;            // revisions/ unreadable: errors[0] says why
};

// Reads through `cache` when given. Throws only std::bad_alloc.
StoreReport read_store_report(std::string_view store_dir, IndexCache* cache = nullptr);

// The report's members, written into an object the caller has opened.
void write_store_report(lpweb::JsonWriter& json, const StoreReport& report);
// The report as one JSON object, and a newline.
std::string store_report_json(const StoreReport& report);

// "2026-11-25T10:08:00Z"; "" for a time gmtime cannot express.
std::string iso8601_utc(std::int64_t seconds);

}  // namespace lpicing
