// The deploy's progress line on a terminal: one line on stderr rewritten with
// "\r", at most once per interval (10 a second), cleared at the end.
// Header-only, with the clock passed in, so the limit is unit-tested.
#pragma once

#include <stdio.h>

#include <cstdint>
#include <functional>
#include <string>

namespace lpicing_tool {

inline constexpr std::int64_t kProgressIntervalNs = 100'000'000;  // 10 redraws a second at most

// Allows one event per interval; the first at once.
class RateLimit {
 public:
  explicit RateLimit(std::int64_t interval_ns) : interval_(interval_ns) {}
  bool allow(std::int64_t now_ns) {
    if (any_ && now_ns - last_ < interval_) return false;
    any_ = true;
    last_ = now_ns;
    return true;
  }

 private:
  std::int64_t interval_;
  std::int64_t last_ = 0;
  bool any_ = false;
};

class ProgressLine {
 public:
  ProgressLine(FILE* to, std::function<std::int64_t()> clock, std::int64_t interval_ns = kProgressIntervalNs)
      : to_(to), clock_(std::move(clock)), limit_(interval_ns) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { finish(); }

  // Redraws the line with `text` unless the last redraw was too recent.
  void update(const std::string& text) {
    if (!limit_.allow(clock_())) return;
    fprintf(to_, "\r%s\033[K", text.c_str());
    fflush(to_);
    drawn_ = true;
  }
  // Clears the line, if one was drawn, so what follows starts on a clean line.
  void finish() {
    if (!drawn_) return;
    fputs("\r\033[K", to_);
    fflush(to_);
    drawn_ = false;
  }

 private:
  FILE* to_;
  std::function<std::int64_t()> clock_;
  RateLimit limit_;
  bool drawn_ = false;
};

}  // namespace lpicing_tool
