// A least-recently-used map bounded by a cost (entries, or bytes): the one
// bookkeeping behind the per-child caches of INDEX files, mapped bodies and
// compressed combos. Not thread-safe: each cache holds its own mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace lpweb {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruMap {
 public:
  explicit LruMap(std::uint64_t capacity) : capacity_(capacity) {}

  // The value of `key`, now the most recently used; nullptr when absent.
  Value* find(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.position);
    return &it->second.value;
  }
  // Inserts or replaces `key` with `cost`, then evicts the least recently used
  // entries (never this one) until the total fits the capacity. An entry
  // costing more than the capacity is not kept: false.
  bool put(const Key& key, Value value, std::uint64_t cost) {
    erase(key);
    if (cost > capacity_) return false;
    order_.push_front(key);
    try {
      map_.emplace(key, Slot{std::move(value), cost, order_.begin()});
    } catch (...) {  // std::bad_alloc: the map is as it was, minus `key`
      order_.pop_front();
      throw;
    }
    total_ += cost;
    while (total_ > capacity_ && order_.size() > 1) erase(order_.back());
    return true;
  }
  bool erase(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    total_ -= it->second.cost;
    order_.erase(it->second.position);
    map_.erase(it);
    return true;
  }
  // Removes every entry for which `doomed(key, value)` holds.
  template <typename F>
  void erase_if(F doomed) {
    for (auto it = order_.begin(); it != order_.end();) {
      const Key& k = *it++;
      auto slot = map_.find(k);
      if (doomed(slot->first, slot->second.value)) erase(Key(k));
    }
  }
  // Calls `f(key, value)` for every entry, most recently used first.
  template <typename F>
  void for_each(F f) const {
    for (const Key& k : order_) f(k, map_.find(k)->second.value);
  }
  void clear() {
    map_.clear();
    order_.clear();
    total_ = 0;
  }
  std::size_t size() const { return map_.size(); }
  std::uint64_t total_cost() const { return total_; }
  std::uint64_t capacity() const { return capacity_; }

 private:
  struct Slot {
    Value value;
    std::uint64_t cost;
    typename std::list<Key>::iterator position;
  };
  std::uint64_t capacity_;
  std::uint64_t total_ = 0;
  std::list<Key> order_;  // most recently used first
  std::unordered_map<Key, Slot, Hash> map_;
};

}  // namespace lpweb
