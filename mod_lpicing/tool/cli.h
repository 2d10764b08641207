// What the lpicing command's parts share: the exit statuses (the one table),
// each verb's options and help (cli_spec.cc, the single source of `--help`,
// `help VERB` and the man page), the parsed arguments (cli_parse.cc), the way
// a verb speaks (cli_output.cc), and the verbs themselves (cmd_*.cc).
#pragma once

#include <sysexits.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace lpicing_tool {

// ---- Exit statuses: README's table and `lpicing --help` say the same ----

constexpr int kExitOk = 0;
constexpr int kExitRejected = 2;    // a bundle rejected; a revision not in the store
constexpr int kExitStoreError = 3;  // the store or the system failed
constexpr int kExitNotReady = 4;    // wait: timed out before every server had the revision
constexpr int kExitUsage = EX_USAGE;      // 64: bad option, argument or number
constexpr int kExitNoInput = EX_NOINPUT;  // 66: an input file missing or unreadable

struct ExitStatus {
  int code;
  const char* meaning;
};
// Every status the command can end with, and what it means (the global help's table).
const std::vector<ExitStatus>& exit_statuses();

// The status for a core Error: rejected 2, system 3.
inline int exit_code_for(const lpweb::Error& error) {
  return error.kind == lpweb::Error::Kind::rejected ? kExitRejected : kExitStoreError;
}

// ---- Verbs and their options ----

enum class Opt {
  revision, key, output, store, trusted_key, trusted_key_fd, keep, incoming,
  max_entries, max_bytes, max_ratio, rev, timeout, current, json, no_activate, dry_run,
  quiet, verbose, help,
};

struct OptionSpec {
  Opt id;
  char short_name;         // 0: long only
  const char* long_name;
  const char* value_name;  // nullptr: a flag
  const char* help;        // says the default; "\n" continues on the next line
};

struct VerbSpec {
  const char* name;
  const char* synopsis;     // what follows "lpicing VERB "
  const char* summary;      // the global help's one line
  const char* description;  // wrapped text after the usage line
  std::vector<OptionSpec> options;  // the verb's own, then common_options()
  std::vector<ExitStatus> exits;    // the statuses it can end with, in its words
  std::string notes;        // after the options (JSON shapes); may be empty
};

// Every verb, in the order the help lists them.
const std::vector<VerbSpec>& verbs();
const VerbSpec* find_verb(std::string_view name);
// -q, -v and -h: every verb takes them.
const std::vector<OptionSpec>& common_options();

std::string global_help();
std::string verb_help(const VerbSpec& verb);
// The global help, then every verb's under a "Command VERB:" heading: what
// the man page is made from (help2man --help-option='help --all').
std::string all_help();
std::string version_text();

// ---- Parsed arguments ----

struct Args {
  const VerbSpec* verb = nullptr;
  std::vector<std::string> positional;
  std::map<Opt, std::string> given;  // a flag's value is ""
  bool help = false;                 // -h/--help was given: print the verb's help

  bool has(Opt o) const { return given.count(o) > 0; }
  // The option's value, "" when not given.
  const std::string& value(Opt o) const;
  bool quiet() const { return has(Opt::quiet); }
  bool verbose() const { return has(Opt::verbose); }
  bool json() const { return has(Opt::json); }
};

// Parses `argv[first..argc)` with getopt_long and the verb's option table
// (options may follow arguments; "--" ends them). The problem, in one line,
// when they do not parse.
std::optional<std::string> parse_arguments(const VerbSpec& verb, int argc, char** argv, int first, Args* args);

// Checks the count of positional arguments and the required options.
std::optional<std::string> check_arguments(const Args& args, std::size_t min_positional, std::size_t max_positional,
                                           const char* positional_name, const std::vector<Opt>& required);

// Strict decimal numbers, for option values; nullopt when not one.
std::optional<std::uint64_t> parse_u64(const std::string& s);
std::optional<double> parse_positive_double(const std::string& s);

// ---- Speaking ----

// One line on stderr, then how to get help: kExitUsage. `verb` may be null.
int usage_error(const VerbSpec* verb, const std::string& problem);

// How a verb speaks, by -q, -v and --json: results on stdout, detail and
// errors on stderr, JSON on stdout.
class Output {
 public:
  explicit Output(const Args& args) : args_(args) {}
  // Normal output on stdout; nothing with --quiet or --json.
  void say(const char* format, ...) const __attribute__((format(printf, 2, 3)));
  // "lpicing: ..." on stderr with --verbose only.
  void detail(const char* format, ...) const __attribute__((format(printf, 2, 3)));
  // A verb's JSON on stdout (--json, --quiet or not).
  void json(const std::string& text) const;
  bool quiet() const { return args_.quiet(); }
  bool verbose() const { return args_.verbose() && !args_.quiet(); }
  bool json_wanted() const { return args_.json(); }
  // "lpicing: MESSAGE" on stderr, and with --json the error object on
  // stdout; returns `code`. `entry` names the item at fault, if any.
  int fail(int code, const std::string& message, const std::string& entry = "") const;
  int usage(const std::string& problem) const { return usage_error(args_.verb, problem); }
  const Args& args() const { return args_; }

 private:
  const Args& args_;
};

// Seconds since `start` (a steady clock reading in nanoseconds from now_ns()).
std::int64_t now_ns();
double seconds_since(std::int64_t start_ns);

// ---- The verbs ----

int cmd_pack(const Args& args);
int cmd_verify(const Args& args);
int cmd_deploy(const Args& args);
int cmd_list(const Args& args);
int cmd_activate(const Args& args);
int cmd_prune(const Args& args);
int cmd_ingest(const Args& args);
int cmd_wait(const Args& args);

}  // namespace lpicing_tool
