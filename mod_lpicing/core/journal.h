// The drop directory's journal, kept in the store by the ingest: one record
// per outcome (deployed, unchanged, rejected, set aside, error, skipped,
// pruned) in
// STORE/ingest.log, and the running totals in STORE/ingest.state. The
// watcher logs each record once, whichever watcher is alive when the ingest
// finishes (a graceful restart replaces the watcher, not the ingest), and
// remembers how far it got in STORE/ingest.reported. Written only under the
// store lock by the deploy user; read by the watcher.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace lpicing {

// set_aside: rejected, but rejected/ could not take it, so it was renamed
// .rejected.NAME instead. skipped: the name changed between the scan and the
// open (a link, a FIFO, another file) and was left alone.
enum class DropResult : std::uint8_t { deployed, unchanged, rejected, set_aside, error, skipped, pruned };
inline constexpr int kDropResults = 7;
std::string_view drop_result_name(DropResult r);

struct DropRecord {
  std::uint64_t seq = 0;       // assigned by append: 1, 2, ... for the store's life
  std::int64_t time = 0;       // seconds since the epoch
  DropResult result = DropResult::deployed;
  std::string bundle;          // the file name in the drop directory ("" for pruned)
  std::string revision;        // when known
  std::string detail;          // one line: the reason, or what happened to the bundle
};

// The record in words, for the error log and the tool's stderr.
std::string describe(const DropRecord& r);

// What the status page reports of the drop directory.
struct DropState {
  std::uint64_t last_seq = 0;
  std::uint64_t totals[kDropResults] = {};
  std::int64_t last_success = 0;    // last deployed or unchanged
  std::int64_t last_rejection = 0;  // last rejected, set aside or skipped
  std::string last_rejected_bundle, last_rejection_reason;
};

// Appends records (seq assigned here) to the journal under `storefd` and
// rewrites the state file; the caller holds the store lock. The journal is
// rotated to ingest.log.1 past 1 MiB. Throws SystemError.
void append_drop_records(int storefd, std::vector<DropRecord>* records, std::int64_t now);

// Records after `after_seq`, oldest first, from ingest.log.1 and ingest.log.
// Unparseable lines are skipped. Throws only std::bad_alloc.
std::vector<DropRecord> read_drop_records(const std::string& store_dir, std::uint64_t after_seq);
// The state file; all zero when absent or unreadable.
DropState read_drop_state(const std::string& store_dir);

// The watcher's mark: the last seq it logged. Absent: nothing has been
// reported yet (the watcher then starts from the journal's end).
std::optional<std::uint64_t> read_reported_seq(const std::string& store_dir);
// Replaces the mark atomically; the error when the store cannot be written.
lpweb::Status write_reported_seq(const std::string& store_dir, std::uint64_t seq);

// One journal line (without the newline) and back; exposed for tests.
std::string format_drop_record(const DropRecord& r);
std::optional<DropRecord> parse_drop_record(std::string_view line);  // nothing: not a record

}  // namespace lpicing
