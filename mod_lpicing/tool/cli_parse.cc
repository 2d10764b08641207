// Argument parsing with glibc's getopt_long over a verb's option table
// (cli_spec.cc): "-rVAL", "-r VAL", "--revision=VAL", "--revision VAL",
// unambiguous abbreviations, options after arguments, "--" ending options.
// Problems come back as GNU-worded lines; nothing is printed here.
#include <getopt.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli.h"
#include "text.h"

namespace lpicing_tool {

namespace {

constexpr int kLongOnlyBase = 256;  // getopt_long's value for a long-only option: base + index

// The option as written, up to any "=VALUE".
std::string as_written(const char* arg) {
  std::string s = arg ? arg : "";
  std::size_t eq = s.find('=');
  return eq == std::string::npos ? s : s.substr(0, eq);
}

}  // namespace

const std::string& Args::value(Opt o) const {
  static const std::string kNone;
  auto it = given.find(o);
  return it == given.end() ? kNone : it->second;
}

std::optional<std::string> parse_arguments(const VerbSpec& verb, int argc, char** argv, int first, Args* args) {
  std::vector<OptionSpec> specs = verb.options;
  specs.insert(specs.end(), common_options().begin(), common_options().end());
  std::vector<struct option> longs;
  std::string shorts = ":";  // a missing value comes back as ':', and getopt prints nothing
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const OptionSpec& o = specs[i];
    int val = o.short_name ? o.short_name : kLongOnlyBase + static_cast<int>(i);
    longs.push_back({o.long_name, o.value_name ? required_argument : no_argument, nullptr, val});
    if (o.short_name) shorts += std::string(1, o.short_name) + (o.value_name ? ":" : "");
  }
  longs.push_back({nullptr, 0, nullptr, 0});
  auto spec_of = [&](int val) -> const OptionSpec* {
    if (val >= kLongOnlyBase && val < kLongOnlyBase + static_cast<int>(specs.size())) return &specs[val - kLongOnlyBase];
    for (const OptionSpec& o : specs)
      if (o.short_name && o.short_name == val) return &o;
    return nullptr;
  };

  args->verb = &verb;
  // getopt_long takes argv[first - 1] for the program's name.
  int n = argc - (first - 1);
  char** v = argv + (first - 1);
  optind = 0;  // glibc: start afresh
  opterr = 0;
  for (;;) {
    int c = getopt_long(n, v, shorts.c_str(), longs.data(), nullptr);
    if (c == -1) break;
    std::string written = as_written(v[optind - 1]);
    bool long_form = written.rfind("--", 0) == 0;
    if (c == ':') {
      if (long_form) return "option '" + written + "' requires an argument";
      return std::string("option requires an argument -- '") + static_cast<char>(optopt) + "'";
    }
    if (c == '?') {
      if (optopt != 0 && spec_of(optopt)) return "option '" + written + "' doesn't allow an argument";
      if (optopt != 0) return std::string("invalid option -- '") + static_cast<char>(optopt) + "'";
      int matches = 0;
      for (const OptionSpec& o : specs)
        if (std::strncmp(o.long_name, written.c_str() + 2, written.size() - 2) == 0) ++matches;
      if (matches > 1) return "option '" + written + "' is ambiguous";
      return "unrecognized option '" + written + "'";
    }
    const OptionSpec* o = spec_of(c);
    if (!o) return "unrecognized option '" + written + "'";  // cannot happen: every value is in the table
    if (o->id == Opt::help) {
      args->help = true;
      continue;
    }
    if (o->value_name && args->has(o->id)) return std::string("option '--") + o->long_name + "' given twice";
    args->given[o->id] = o->value_name ? optarg : "";
  }
  for (int i = optind; i < n; ++i) args->positional.push_back(v[i]);
  return std::nullopt;
}

std::optional<std::string> check_arguments(const Args& args, std::size_t min_positional, std::size_t max_positional,
                                           const char* positional_name, const std::vector<Opt>& required) {
  const std::string verb = args.verb->name;
  for (Opt r : required) {
    if (args.has(r)) continue;
    for (const OptionSpec& o : args.verb->options)
      if (o.id == r) return verb + " needs --" + o.long_name + "=" + o.value_name;
  }
  std::size_t n = args.positional.size();
  if (n > max_positional) {
    if (max_positional == 0) return verb + " takes no argument, but was given " + lpweb::quote(args.positional[0]);
    return verb + " takes one " + positional_name + ", but was given " + std::to_string(n) + " arguments";
  }
  if (n < min_positional) return verb + " needs " + (min_positional == 1 && max_positional == 1 ? "a " : "at least one ") +
                                 positional_name;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_u64(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<double> parse_positive_double(const std::string& s) {
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !std::isfinite(d) || !(d > 0)) return std::nullopt;
  return d;
}

}  // namespace lpicing_tool
