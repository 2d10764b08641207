// The JSON writer and the UTF-8 checks it rests on.
#include "json_writer.h"

#include <cmath>
#include <cstdio>

#include "text.h"

namespace lpweb {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) out_.append(", ");
  first_.back() = false;
}

JsonWriter& JsonWriter::open(char bracket) {
  separate();
  out_.push_back(bracket);
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  out_.push_back(bracket);
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(out_, name);
  out_.append(": ");
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t n) {
  separate();
  out_.append(std::to_string(n));
  return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t n) {
  separate();
  out_.append(std::to_string(n));
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_.append(b ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::fixed(double x, int decimals) {
  if (!std::isfinite(x)) return null();  // JSON has no NaN or infinity
  separate();
  char buf[400];  // DBL_MAX in full, and 9 decimals
  int n = std::snprintf(buf, sizeof buf, "%.*f", decimals < 0 ? 0 : decimals > 9 ? 9 : decimals, x);
  out_.append(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_.append("null");
  return *this;
}

std::string JsonWriter::finish() {
  std::string done = std::move(out_);
  done.push_back('\n');
  out_.clear();
  first_.clear();
  after_key_ = false;
  return done;
}

}  // namespace lpweb
