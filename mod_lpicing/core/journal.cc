// The drop journal: tab-separated lines with backslash escapes, and a small
// key=value state file replaced atomically.
#include "journal.h"

#include "text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "fsutil.h"
#include "store_layout.h"

namespace lpicing {

using lpweb::split;
namespace {

using layout::kJournal;
using layout::kJournalOld;
constexpr const char* kState = layout::kJournalState;
constexpr const char* kReported = layout::kJournalReported;
constexpr char kStateMagic[] = "lpicing-ingest-state 1";
constexpr std::uint64_t kRotateBytes = 1 << 20;
constexpr std::uint64_t kMaxReadBytes = 4 << 20;

const char* const kResultNames[kDropResults] = {"deployed", "unchanged", "rejected", "set_aside",
                                                "error",    "skipped",   "pruned"};

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool unescape(std::string_view s, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return false;
    switch (s[i]) {
      case '\\': out->push_back('\\'); break;
      case 't': out->push_back('\t'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      default: return false;
    }
  }
  return true;
}

bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t next = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (next / 10 != v) return false;
    v = next;
  }
  *out = v;
  return true;
}

bool parse_i64(std::string_view s, std::int64_t* out) {
  bool negative = !s.empty() && s[0] == '-';
  std::uint64_t v = 0;
  if (!parse_u64(negative ? s.substr(1) : s, &v) || v > static_cast<std::uint64_t>(INT64_MAX)) return false;
  *out = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

std::string store_file(const std::string& store_dir, const char* name) { return layout::store_path(store_dir, name); }

DropState parse_state(const std::string& text) {
  DropState state;
  std::vector<std::string_view> lines = split(text, '\n');
  if (lines.empty() || lines[0] != kStateMagic) return state;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    std::string text_value;
    if (key == "last_seq") parse_u64(value, &state.last_seq);
    if (key == "last_success") parse_i64(value, &state.last_success);
    if (key == "last_rejection") parse_i64(value, &state.last_rejection);
    if (key == "last_rejected_bundle" && unescape(value, &text_value)) state.last_rejected_bundle = text_value;
    if (key == "last_rejection_reason" && unescape(value, &text_value)) state.last_rejection_reason = text_value;
    for (int r = 0; r < kDropResults; ++r)
      if (key == kResultNames[r]) parse_u64(value, &state.totals[r]);
  }
  return state;
}

std::string format_state(const DropState& s) {
  std::string out = std::string(kStateMagic) + "\n";
  out += "last_seq=" + std::to_string(s.last_seq) + "\n";
  for (int r = 0; r < kDropResults; ++r) out += std::string(kResultNames[r]) + "=" + std::to_string(s.totals[r]) + "\n";
  out += "last_success=" + std::to_string(s.last_success) + "\n";
  out += "last_rejection=" + std::to_string(s.last_rejection) + "\n";
  out += "last_rejected_bundle=" + escape(s.last_rejected_bundle) + "\n";
  out += "last_rejection_reason=" + escape(s.last_rejection_reason) + "\n";
  return out;
}

// Writes `text` to NAME through a temporary and a rename. Throws SystemError.
void replace_file_at(int dirfd, const char* name, const std::string& text) {
  std::string tmp = std::string(name) + ".tmp." + std::to_string(::getpid());
  ::unlinkat(dirfd, tmp.c_str(), 0);
  write_new_file_at(dirfd, tmp, text, quote(tmp));
  if (::renameat(dirfd, tmp.c_str(), dirfd, name) != 0) {
    int e = errno;
    ::unlinkat(dirfd, tmp.c_str(), 0);
    throw SystemError(std::string("cannot replace ") + name, e);
  }
}

}  // namespace

std::string_view drop_result_name(DropResult r) { return kResultNames[static_cast<int>(r)]; }

std::string describe(const DropRecord& r) {
  switch (r.result) {
    case DropResult::deployed:
      return "deployed bundle " + quote(r.bundle) + " as revision " + quote(r.revision) + ", now current" +
             (r.detail.empty() ? "" : " (" + r.detail + ")");
    case DropResult::unchanged:
      return "bundle " + quote(r.bundle) + " holds revision " + quote(r.revision) +
             ", already in the store: not made current again (" + r.detail + ")";
    case DropResult::rejected:
      return "rejected bundle " + quote(r.bundle) + ": " + r.detail + " (moved to rejected/)";
    case DropResult::set_aside:
      return "rejected bundle " + quote(r.bundle) + ": " + r.detail;
    case DropResult::error:
      return "cannot deploy bundle " + quote(r.bundle) + ": " + r.detail + " (left in place)";
    case DropResult::skipped:
      return "skipped bundle " + quote(r.bundle) + ": " + r.detail;
    case DropResult::pruned:
      return "pruned revision " + quote(r.revision);
  }
  return r.detail;
}

std::string format_drop_record(const DropRecord& r) {
  return std::to_string(r.seq) + "\t" + std::to_string(r.time) + "\t" + std::string(drop_result_name(r.result)) +
         "\t" + escape(r.bundle) + "\t" + escape(r.revision) + "\t" + escape(r.detail);
}

std::optional<DropRecord> parse_drop_record(std::string_view line) {
  std::vector<std::string_view> f = split(line, '\t');
  DropRecord out;
  if (f.size() != 6 || !parse_u64(f[0], &out.seq) || !parse_i64(f[1], &out.time)) return std::nullopt;
  bool known = false;
  for (int r = 0; r < kDropResults; ++r) {
    if (f[2] == kResultNames[r]) {
      out.result = static_cast<DropResult>(r);
      known = true;
    }
  }
  if (!known || !unescape(f[3], &out.bundle) || !unescape(f[4], &out.revision) || !unescape(f[5], &out.detail))
    return std::nullopt;
  return out;
}

void append_drop_records(int storefd, std::vector<DropRecord>* records, std::int64_t now) {
  if (records->empty()) return;
  DropState state;
  if (lpweb::Result<std::string> text = read_file_at(storefd, kState, kMaxReadBytes)) state = parse_state(*text);
  struct stat st;
  if (::fstatat(storefd, kJournal, &st, AT_SYMLINK_NOFOLLOW) == 0 && static_cast<std::uint64_t>(st.st_size) > kRotateBytes &&
      ::renameat(storefd, kJournal, storefd, kJournalOld) != 0)
    throw SystemError("cannot rotate the drop journal", errno);
  std::string lines;
  for (DropRecord& r : *records) {
    r.seq = ++state.last_seq;
    if (r.time == 0) r.time = now;
    state.totals[static_cast<int>(r.result)] += 1;
    if (r.result == DropResult::deployed || r.result == DropResult::unchanged) state.last_success = r.time;
    if (r.result == DropResult::rejected || r.result == DropResult::set_aside || r.result == DropResult::skipped) {
      state.last_rejection = r.time;
      state.last_rejected_bundle = r.bundle;
      state.last_rejection_reason = r.detail;
    }
    lines += format_drop_record(r) + "\n";
  }
  UniqueFd fd(::openat(storefd, kJournal, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw SystemError("cannot open the drop journal", errno);
  write_all(fd.get(), lines.data(), lines.size(), "the drop journal");
  fsync_fd(fd.get(), "the drop journal");
  replace_file_at(storefd, kState, format_state(state));
}

std::vector<DropRecord> read_drop_records(const std::string& store_dir, std::uint64_t after_seq) {
  std::vector<DropRecord> out;
  for (const char* name : {kJournalOld, kJournal}) {
    lpweb::Result<std::string> text = read_file(store_file(store_dir, name), kMaxReadBytes);
    if (!text) continue;
    for (std::string_view line : split(*text, '\n')) {
      std::optional<DropRecord> r = parse_drop_record(line);
      if (r && r->seq > after_seq && (out.empty() || r->seq > out.back().seq)) out.push_back(std::move(*r));
    }
  }
  return out;
}

DropState read_drop_state(const std::string& store_dir) {
  lpweb::Result<std::string> text = read_file(store_file(store_dir, kState), kMaxReadBytes);
  return text ? parse_state(*text) : DropState{};
}

std::optional<std::uint64_t> read_reported_seq(const std::string& store_dir) {
  lpweb::Result<std::string> text = read_file(store_file(store_dir, kReported), 64);
  if (!text) return std::nullopt;
  while (!text->empty() && text->back() == '\n') text->pop_back();
  std::uint64_t seq = 0;
  if (!parse_u64(*text, &seq)) return std::nullopt;
  return seq;
}

lpweb::Status write_reported_seq(const std::string& store_dir, std::uint64_t seq) {
  try {
    UniqueFd store = open_dir_at(AT_FDCWD, store_dir, "store");
    replace_file_at(store.get(), kReported, std::to_string(seq) + "\n");
    return {};
  } catch (const std::exception& e) {
    return lpweb::system_error(e.what());
  }
}

}  // namespace lpicing
