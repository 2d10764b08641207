// Shared redirect counters: a fixed array of slots in a shared region.
#include "counters.h"

#include <cstdio>
#include <cstring>

namespace lpedge {
namespace {
constexpr std::uint64_t kMagic = 0x4c50454443545231ULL;  // "LPEDCTR1"
}

std::size_t CounterTable::bytes_for(std::size_t slots) {
  return offsetof(Header, slots) + slots * sizeof(Slot);
}

bool CounterTable::format(void* memory, std::size_t bytes) {
  if (bytes < bytes_for(1)) return false;
  auto* h = static_cast<Header*>(memory);
  std::memset(h, 0, offsetof(Header, slots));
  h->capacity = static_cast<std::uint32_t>((bytes - offsetof(Header, slots)) / sizeof(Slot));
  h->used = 0;
  h->magic = kMagic;
  return true;
}

bool CounterTable::valid() const { return header_ && header_->magic == kMagic; }

int CounterTable::slot_for(std::string_view edge_host, int status) {
  if (!valid() || edge_host.empty() || edge_host.size() >= kHostBytes) return -1;
  for (std::uint32_t i = 0; i < header_->used; ++i) {
    const Slot& s = header_->slots[i];
    if (s.status == static_cast<std::uint32_t>(status) && edge_host == s.edge_host) return static_cast<int>(i);
  }
  if (header_->used >= header_->capacity) return -1;
  Slot& s = header_->slots[header_->used];
  std::memset(&s, 0, sizeof s);
  std::memcpy(s.edge_host, edge_host.data(), edge_host.size());
  s.status = static_cast<std::uint32_t>(status);
  return static_cast<int>(header_->used++);
}

void CounterTable::increment(int slot) {
  if (!valid() || slot < 0 || static_cast<std::uint32_t>(slot) >= header_->used) return;
  __atomic_fetch_add(&header_->slots[slot].count, 1, __ATOMIC_RELAXED);
}

std::uint64_t CounterTable::count(int slot) const {
  if (!valid() || slot < 0 || static_cast<std::uint32_t>(slot) >= header_->used) return 0;
  return __atomic_load_n(&header_->slots[slot].count, __ATOMIC_RELAXED);
}

void CounterTable::for_each(
    const std::function<void(std::string_view, int, std::uint64_t)>& visit) const {
  if (!valid()) return;
  for (std::uint32_t i = 0; i < header_->used; ++i) {
    const Slot& s = header_->slots[i];
    visit(std::string_view(s.edge_host), static_cast<int>(s.status),
          __atomic_load_n(&s.count, __ATOMIC_RELAXED));
  }
}

namespace {
// Edge hosts are checked DNS names, but escape anyway: this is an output format.
void append_escaped(std::string& out, std::string_view s, bool json) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      if (json) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
        out.append(buf);
      } else {
        out.append(c == '\n' ? "\\n" : "?");
      }
    } else {
      out.push_back(c);
    }
  }
}
}  // namespace

std::string status_json(const CounterTable& table) {
  std::string out = "{\"redirects\":[";
  std::uint64_t total = 0;
  bool first = true;
  table.for_each([&](std::string_view host, int status, std::uint64_t count) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"edge_host\":\"");
    append_escaped(out, host, true);
    out.append("\",\"status\":").append(std::to_string(status));
    out.append(",\"count\":").append(std::to_string(count)).append("}");
    total += count;
  });
  out.append("],\"total\":").append(std::to_string(total)).append("}\n");
  return out;
}

std::string status_prometheus(const CounterTable& table) {
  std::string out =
      "# HELP lpedge_redirects_total Requests to edge hosts redirected to production, by edge host and status.\n"
      "# TYPE lpedge_redirects_total counter\n";
  table.for_each([&](std::string_view host, int status, std::uint64_t count) {
    out.append("lpedge_redirects_total{edge_host=\"");
    append_escaped(out, host, false);
    out.append("\",status=\"").append(std::to_string(status)).append("\"} ");
    out.append(std::to_string(count)).append("\n");
  });
  return out;
}

}  // namespace lpedge
