// The shared counter table: a private registry of keys, a shared array of counters.
#include "counter_table.h"

#include <cstring>

namespace lpweb {

struct CounterTable::Registry {
  CounterShape shape;
  std::uint32_t used;
  // Followed by shape.rows keys of shape.key_bytes each, NUL-padded.
  char* key_at(std::uint32_t row) { return reinterpret_cast<char*>(this + 1) + std::size_t{row} * shape.key_bytes; }
};

std::size_t CounterTable::registry_bytes(const CounterShape& shape) {
  return sizeof(Registry) + std::size_t{shape.rows} * shape.key_bytes;
}

std::size_t CounterTable::counter_bytes(const CounterShape& shape) {
  return std::size_t{shape.rows} * shape.columns * sizeof(std::uint64_t);
}

void CounterTable::init_registry(void* registry, const CounterShape& shape) {
  std::memset(registry, 0, registry_bytes(shape));
  static_cast<Registry*>(registry)->shape = shape;
}

CounterTable::CounterTable(void* registry, void* counters, std::size_t bytes)
    : registry_(static_cast<Registry*>(registry)) {
  if (registry_ && counters && bytes >= counter_bytes(registry_->shape))
    counters_ = static_cast<std::uint64_t*>(counters);
}

int CounterTable::find(std::string_view key) const {
  if (!registry_) return -1;
  for (std::uint32_t row = 0; row < registry_->used; ++row)
    if (this->key(static_cast<int>(row)) == key) return static_cast<int>(row);
  return -1;
}

int CounterTable::row_for(std::string_view key) {
  if (!registry_ || key.empty() || key.size() >= registry_->shape.key_bytes ||
      key.find('\0') != std::string_view::npos)
    return -1;
  int row = find(key);
  if (row >= 0) return row;
  if (registry_->used >= registry_->shape.rows) return -1;
  std::memcpy(registry_->key_at(registry_->used), key.data(), key.size());
  return static_cast<int>(registry_->used++);
}

std::uint32_t CounterTable::rows_used() const { return registry_ ? registry_->used : 0; }

std::uint32_t CounterTable::columns() const { return registry_ ? registry_->shape.columns : 0; }

std::string_view CounterTable::key(int row) const {
  if (!registry_ || row < 0 || static_cast<std::uint32_t>(row) >= registry_->used) return {};
  const char* k = registry_->key_at(static_cast<std::uint32_t>(row));
  return std::string_view(k, strnlen(k, registry_->shape.key_bytes));
}

std::uint64_t* CounterTable::cell(int row, std::uint32_t column) const {
  if (!counters_ || row < 0 || static_cast<std::uint32_t>(row) >= registry_->used ||
      column >= registry_->shape.columns)
    return nullptr;
  return counters_ + std::size_t{static_cast<std::uint32_t>(row)} * registry_->shape.columns + column;
}

void CounterTable::add(int row, std::uint32_t column, std::uint64_t n) const {
  if (std::uint64_t* c = cell(row, column)) __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void CounterTable::set(int row, std::uint32_t column, std::uint64_t n) const {
  if (std::uint64_t* c = cell(row, column)) __atomic_store_n(c, n, __ATOMIC_RELAXED);
}

std::uint64_t CounterTable::get(int row, std::uint32_t column) const {
  const std::uint64_t* c = cell(row, column);
  return c ? __atomic_load_n(c, __ATOMIC_RELAXED) : 0;
}

}  // namespace lpweb
