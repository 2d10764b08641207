// Counters in memory shared with less trusted processes (httpd's children).
// The table's shape and the keys of its rows live in private memory that only
// the parent writes (children inherit a copy when they fork); the shared
// memory holds nothing but counter values. So whatever a child writes there
// can make a count wrong, never steer a read or crash a process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lpweb {

struct CounterShape {
  std::uint32_t rows = 0;       // keys the table can hold
  std::uint32_t columns = 0;    // counters per key
  std::uint32_t key_bytes = 0;  // longest key, plus one
};

class CounterTable {
 public:
  // Private memory for the registry, and shared memory for the counters.
  static std::size_t registry_bytes(const CounterShape& shape);
  static std::size_t counter_bytes(const CounterShape& shape);
  // Lays out an empty registry in `registry` (registry_bytes(shape) bytes).
  static void init_registry(void* registry, const CounterShape& shape);

  // A table that counts nothing: every call is a no-op.
  CounterTable() = default;
  // `registry`: private memory laid out by init_registry. `counters`: the
  // shared region of `bytes` bytes; shorter than counter_bytes(shape), it is
  // not used at all.
  CounterTable(void* registry, void* counters, std::size_t bytes);

  // Parent only, before children fork: the row of `key`, registered when new;
  // -1 when the table is full or the key empty, too long or holding a NUL.
  int row_for(std::string_view key);
  // The row of `key`, or -1.
  int find(std::string_view key) const;
  std::uint32_t rows_used() const;
  std::string_view key(int row) const;  // empty for a row not in use
  std::uint32_t columns() const;

  // Any process or thread; out-of-range rows and columns are ignored.
  void add(int row, std::uint32_t column, std::uint64_t n = 1) const;
  // A gauge rather than a counter: the cell takes `n` (one writer per cell).
  void set(int row, std::uint32_t column, std::uint64_t n) const;
  std::uint64_t get(int row, std::uint32_t column) const;

 private:
  struct Registry;
  std::uint64_t* cell(int row, std::uint32_t column) const;

  Registry* registry_ = nullptr;
  std::uint64_t* counters_ = nullptr;
};

}  // namespace lpweb
