// A small streaming JSON writer (RFC 8259) for every JSON the modules and the
// tool produce: objects and arrays nest, commas come by themselves, strings
// are escaped (control characters as \u00XX, invalid UTF-8 as \ufffd), so the
// output is valid whatever bytes a name holds. Style: ", " and ": ".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text.h"  // append_json_string, valid_utf8

namespace lpweb {

class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  // The next member's name; a value or a begin_* must follow.
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(bool b);
  // A number with exactly `decimals` digits after the point (0 to 9): "1.500",
  // as measured times are shown; null when `x` is not finite.
  JsonWriter& fixed(double x, int decimals);
  JsonWriter& null();
  // key(name).value(v), for brevity.
  template <typename T>
  JsonWriter& member(std::string_view name, T v) {
    return key(name).value(v);
  }

  // The text so far (complete once every begin_* has its end_*), then a newline.
  std::string finish();
  const std::string& text() const { return out_; }

 private:
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace lpweb
