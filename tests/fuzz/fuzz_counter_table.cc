// Fuzzes the common shared counter table (common/counter_table.h) and both
// modules' outputs over it, with the shared counters filled from the input
// (as a compromised child could fill them) and keys registered from it: no
// crash, no read outside the segment (it is allocated at its exact size),
// reads land where the layout says, and JSON and Prometheus text stay
// well-formed. Input: a header, then length-prefixed records.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "counter_table.h"
#include "counters.h"
#include "fuzz_check.h"
#include "index.h"
#include "metrics.h"
#include "serve.h"

namespace {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint32_t u16() { return static_cast<std::uint32_t>(byte()) << 8 | byte(); }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return v;
  }
  std::string_view bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  std::string_view rest() const {
    return pos_ < size_ ? std::string_view(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_) : "";
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// The shared segment: `bytes` long exactly, filled with `fill` repeated.
std::unique_ptr<unsigned char[]> segment(std::size_t bytes, std::string_view fill) {
  auto memory = std::make_unique<unsigned char[]>(bytes ? bytes : 1);
  if (fill.empty() || bytes == 0) return memory;
  std::size_t done = std::min(bytes, fill.size());
  std::memcpy(memory.get(), fill.data(), done);
  while (done < bytes) {  // doubling copies: the segments are hundreds of KB
    std::size_t n = std::min(done, bytes - done);
    std::memcpy(memory.get() + done, memory.get(), n);
    done += n;
  }
  return memory;
}

// A table of `shape`: its registry in private memory, as the parent keeps it;
// its segment exactly the counters' size or any size up to 64 bytes over,
// filled with fuzzed bytes, as a child could leave it.
struct FuzzedTable {
  FuzzedTable(Input& in, const lpweb::CounterShape& shape)
      : registry((lpweb::CounterTable::registry_bytes(shape) + 7) / 8),
        needed(lpweb::CounterTable::counter_bytes(shape)) {
    lpweb::CounterTable::init_registry(registry.data(), shape);
    bytes = in.byte() & 1 ? needed : in.u16() % (needed + 64);
    shared = segment(bytes, in.bytes(in.byte()));
    table = lpweb::CounterTable(registry.data(), shared.get(), bytes);
  }
  std::vector<std::uint64_t> registry;
  std::size_t needed;
  std::size_t bytes = 0;
  std::unique_ptr<unsigned char[]> shared;
  lpweb::CounterTable table;
};

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
      unsigned char t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xc0) != 0x80) return false;
      cp = cp << 6 | (t & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp < 0xe000))
      return false;
    i += n;
  }
  return true;
}

// Text exposition format 0.0.4, as far as these outputs use it: HELP/TYPE
// lines, and samples `name{label="value",...} integer` with values escaped.
bool valid_prometheus(std::string_view text) {
  if (!valid_utf8(text) || (!text.empty() && text.back() != '\n')) return false;
  auto name_char = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
  };
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    std::size_t i = 0;
    if (i >= line.size() || !name_char(line[i], true)) return false;
    while (i < line.size() && name_char(line[i], false)) ++i;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        if (!name_char(line[i], true)) return false;
        while (i < line.size() && name_char(line[i], false)) ++i;
        if (line.substr(i, 2) != "=\"") return false;
        i += 2;
        for (;;) {
          if (i >= line.size()) return false;
          if (line[i] == '"') break;
          if (line[i] == '\\') {
            if (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != '"' && line[i + 1] != 'n')) return false;
            ++i;
          }
          ++i;
        }
        ++i;  // the closing quote
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return false;
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return false;
    ++i;
    if (i >= line.size()) return false;
    for (; i < line.size(); ++i)
      if (line[i] < '0' || line[i] > '9') return false;
  }
  return true;
}

nlohmann::json json_of(const std::string& body) {
  CHECK(valid_utf8(body));
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  CHECK(!parsed.is_discarded());
  return parsed;
}

// A generic table of a fuzzed shape: registration, lookup and the layout.
void generic_table(Input& in) {
  lpweb::CounterShape shape;
  shape.rows = in.byte() % 33;
  shape.columns = in.byte() % 9;
  shape.key_bytes = in.byte() % 40;
  FuzzedTable fuzzed(in, shape);
  lpweb::CounterTable& table = fuzzed.table;
  const std::size_t needed = fuzzed.needed, bytes = fuzzed.bytes;
  const bool usable = bytes >= needed;

  std::vector<std::string> keys;
  for (int n = in.byte() % 40; n > 0 && !in.empty(); --n) {
    std::string key(in.bytes(in.byte() % 48));
    int row = table.row_for(key);
    bool acceptable = !key.empty() && key.size() < shape.key_bytes && key.find('\0') == std::string::npos;
    if (!acceptable) {
      CHECK(row == -1);
      continue;
    }
    if (row < 0) {
      CHECK(table.rows_used() == shape.rows && table.find(key) == -1);
      continue;
    }
    CHECK(static_cast<std::uint32_t>(row) < table.rows_used() && table.rows_used() <= shape.rows);
    CHECK(table.row_for(key) == row && table.find(key) == row && table.key(row) == key);
    if (static_cast<std::size_t>(row) == keys.size()) keys.push_back(key);
    CHECK(keys[static_cast<std::size_t>(row)] == key);
  }
  CHECK(table.columns() == shape.columns);
  for (int n = in.byte() % 16; n > 0 && !in.empty(); --n) {
    int row = static_cast<int>(static_cast<std::int8_t>(in.byte()));
    std::uint32_t column = in.byte() % 12;
    std::uint64_t delta = in.u64();
    bool valid = usable && row >= 0 && static_cast<std::uint32_t>(row) < table.rows_used() && column < shape.columns;
    std::uint64_t stored = 0;
    if (valid) std::memcpy(&stored, fuzzed.shared.get() + (std::size_t(row) * shape.columns + column) * 8, 8);
    CHECK(table.get(row, column) == (valid ? stored : 0));
    table.add(row, column, delta);
    CHECK(table.get(row, column) == (valid ? stored + delta : 0));
  }
  CHECK(table.key(-1).empty() && table.key(static_cast<int>(shape.rows)).empty());
}

void lpedge_outputs(Input& in) {
  lpweb::CounterShape shape = lpedge::redirect_counter_shape();
  FuzzedTable fuzzed(in, shape);
  lpweb::CounterTable& table = fuzzed.table;
  std::uint32_t rows = 0;
  for (int n = in.byte() % 24; n > 0 && !in.empty(); --n) {
    int status = static_cast<int>(in.u16() % 1100);
    std::string host(in.bytes(in.byte()));
    int row = lpedge::redirect_row(table, host, status);
    if (row >= 0) rows = table.rows_used();
    if (host.empty() || host.size() > lpedge::kMaxCountedHostBytes || status < 100 || status > 999) CHECK(row == -1);
  }
  const nlohmann::json json = json_of(lpedge::status_json(table, lpweb::BuildInfo{"2.4.99"}));
  auto redirects = json.find("redirects");
  CHECK(redirects != json.end() && redirects->is_array() && redirects->size() == rows);
  auto total = json.find("total");
  CHECK(total != json.end() && total->is_number());
  CHECK(valid_prometheus(lpedge::status_prometheus(table, lpweb::BuildInfo{"2.4.99"})));
}

void lpicing_outputs(Input& in) {
  lpweb::CounterShape shape = lpicing::request_counter_shape();
  FuzzedTable fuzzed(in, shape);
  lpweb::CounterTable& table = fuzzed.table;
  std::vector<int> rows = {-1};
  for (int n = in.byte() % 3; n > 0 && !in.empty(); --n) rows.push_back(lpicing::path_row(table, in.bytes(in.u16() % 1100)));
  for (int n = in.byte() % 8; n > 0 && !in.empty(); --n)
    lpicing::count_request(table, rows[in.byte() % rows.size()], static_cast<int>(in.u16()) - 1000, in.u64());
  // The revisions come from the store (checked ids), not from shared memory.
  lpicing::StoreReport report;
  std::string current(in.bytes(in.byte() % 70));
  if (lpicing::is_valid_revision_id(current)) report.current = current;
  for (int n = in.byte() % 3; n > 0; --n) {
    std::string revision(in.bytes(in.byte() % 70));
    if (lpicing::is_valid_revision_id(revision)) report.revisions.push_back({revision, {}});
  }
  for (int row : rows) {
    lpicing::RequestCounts counts = lpicing::request_counts(table, row);
    std::uint64_t sum = 0;
    for (std::uint64_t n : counts.by_status) sum += n;
    CHECK(counts.total() == sum);
    const nlohmann::json json = json_of(lpicing::status_json(lpicing::StatusInputs{report, counts, lpicing::DropMetrics{}, lpweb::BuildInfo{"2.4.99"}}));
    auto requests = json.find("requests");
    CHECK(requests != json.end() && requests->is_object());
    for (int always : lpicing::kAlwaysReportedStatuses) CHECK(requests->contains(std::to_string(always)));
    CHECK(json.contains("requests_total") && json.contains("bytes_sent"));
    CHECK(valid_prometheus(lpicing::status_prometheus(lpicing::StatusInputs{report, counts, lpicing::DropMetrics{}, lpweb::BuildInfo{"2.4.99"}})));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  switch (in.byte() % 3) {
    case 0: generic_table(in); break;
    case 1: lpedge_outputs(in); break;
    default: lpicing_outputs(in); break;
  }
  return 0;
}
