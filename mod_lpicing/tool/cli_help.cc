// The help texts, all rendered from cli_spec.cc's tables in the GNU layout
// that help2man (man page) and bash-completion's _parse_help read: "Usage:"
// lines, then one option a line as "  -x, --long=VALUE  text" or
// "      --long  text", sections headed "Name:".
#include <algorithm>
#include <string>

#include "cli.h"
#include "status_section.h"  // lpweb::version(): CMake's project(VERSION), as the status pages report it

namespace lpicing_tool {

namespace {

constexpr std::size_t kMaxOptionColumn = 30;

std::string option_left(const OptionSpec& o) {
  std::string left = o.short_name ? std::string("  -") + o.short_name + ", --" : std::string("      --");
  left += o.long_name;
  if (o.value_name) left += std::string("=") + o.value_name;
  return left;
}

// Left column, then the text; continuation lines (after "\n") under the text.
void append_columns(std::string* out, const std::string& left, const std::string& text, std::size_t column) {
  *out += left;
  if (left.size() + 2 > column) {
    *out += "\n";
    *out += std::string(column, ' ');
  } else {
    *out += std::string(column - left.size(), ' ');
  }
  for (char c : text) {
    *out += c;
    if (c == '\n') *out += std::string(column, ' ');
  }
  *out += "\n";
}

void append_options(std::string* out, const std::vector<OptionSpec>& options) {
  std::size_t column = 0;
  for (const OptionSpec& o : options) column = std::max(column, option_left(o).size() + 2);
  column = std::min(column, kMaxOptionColumn);
  for (const OptionSpec& o : options) append_columns(out, option_left(o), o.help, column);
}

void append_exits(std::string* out, const std::vector<ExitStatus>& exits) {
  *out += "Exit status:\n";
  for (const ExitStatus& e : exits) append_columns(out, "  " + std::to_string(e.code), e.meaning, 6);
}

}  // namespace

std::string verb_help(const VerbSpec& verb) {
  std::string out = std::string("Usage: lpicing ") + verb.name + " " + verb.synopsis + "\n";
  out += verb.description;
  out += "\nOptions:\n";
  std::vector<OptionSpec> options = verb.options;
  options.insert(options.end(), common_options().begin(), common_options().end());
  append_options(&out, options);
  if (!verb.notes.empty()) out += "\n" + verb.notes;
  out += "\n";
  append_exits(&out, verb.exits);
  return out;
}

std::string global_help() {
  std::string out;
  const char* lead = "Usage: ";
  for (const VerbSpec& v : verbs()) {
    out += std::string(lead) + "lpicing " + v.name + " " + v.synopsis + "\n";
    lead = "  or:  ";
  }
  out += "  or:  lpicing help [VERB|--all]\n"
         "  or:  lpicing --version\n"
         "Publish static asset bundles as immutable revisions for Apache httpd's\n"
         "mod_lpicing, manage the store they live in, and gate app servers on them.\n"
         "\nCommands:\n";
  for (const VerbSpec& v : verbs()) append_columns(&out, std::string("  ") + v.name, v.summary, 12);
  append_columns(&out, "  help", "show a verb's usage, options and exit statuses", 12);
  out += "\nOptions:\n";
  append_options(&out, {{Opt::help, 'h', "help", nullptr, "show this help and exit; after a verb, the verb's help"},
                        {Opt::help, 'V', "version", nullptr, "show the version and exit"},
                        {Opt::quiet, 'q', "quiet", nullptr, "after any verb: print nothing but errors"},
                        {Opt::verbose, 'v', "verbose", nullptr, "after any verb: print more detail on standard error"},
                        {Opt::json, 0, "json", nullptr,
                         "after verify, deploy, list, activate, prune or wait:\n"
                         "print the result as JSON on standard output"}});
  out += "\n";
  append_exits(&out, exit_statuses());
  out += "\nRun 'lpicing help VERB' for a verb's options.\n";
  return out;
}

std::string all_help() {
  std::string out = global_help();
  for (const VerbSpec& v : verbs()) {
    std::string text = verb_help(v);
    // "Usage: lpicing VERB ..." becomes the section's first line, indented,
    // under a heading help2man turns into a subsection of the man page.
    std::size_t usage_end = text.find('\n');
    out += std::string("\nCommand ") + v.name + ":\n  " + text.substr(7, usage_end - 7) + "\n" +
           text.substr(usage_end + 1);
  }
  return out;
}

std::string version_text() {
  return std::string("lpicing ") + lpweb::version() + "\n" +
         "Copyright (C) 2026 the lpweb authors.\n"
         "License Apache-2.0: Apache License, Version 2.0 <https://www.apache.org/licenses/LICENSE-2.0>.\n"
         "This is free software: you are free to change and redistribute it.\n"
         "There is NO WARRANTY, to the extent permitted by law.\n";
}

}  // namespace lpicing_tool
