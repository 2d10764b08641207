// How the verbs speak: results on stdout (none with --quiet), detail on stderr
// (--verbose), every failure as one "lpicing: ..." line on stderr, and with
// --json the failure object on stdout too.
#include <stdarg.h>
#include <stdio.h>

#include <chrono>

#include "cli.h"
#include "json_writer.h"

namespace lpicing_tool {

int usage_error(const VerbSpec* verb, const std::string& problem) {
  fprintf(stderr, "lpicing: %s\nTry 'lpicing %s%s--help' for more information.\n", problem.c_str(),
          verb ? verb->name : "", verb ? " " : "");
  return kExitUsage;
}

void Output::say(const char* format, ...) const {
  if (args_.quiet() || args_.json()) return;
  va_list ap;
  va_start(ap, format);
  vprintf(format, ap);
  va_end(ap);
}

void Output::detail(const char* format, ...) const {
  if (!verbose()) return;
  fputs("lpicing: ", stderr);
  va_list ap;
  va_start(ap, format);
  vfprintf(stderr, format, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void Output::json(const std::string& text) const { fputs(text.c_str(), stdout); }

int Output::fail(int code, const std::string& message, const std::string& entry) const {
  fprintf(stderr, "lpicing: %s\n", message.c_str());
  if (args_.json()) {
    lpweb::JsonWriter j;
    j.begin_object().key("error").begin_object();
    j.member("kind", code == kExitRejected ? "rejected" : code == kExitNoInput ? "io" : "system");
    j.key("entry");
    if (entry.empty()) j.null();
    else j.value(entry);
    j.member("message", message).end_object();
    j.member("exit", code).end_object();
    fputs(j.finish().c_str(), stdout);
  }
  return code;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double seconds_since(std::int64_t start_ns) { return static_cast<double>(now_ns() - start_ns) / 1e9; }

}  // namespace lpicing_tool
