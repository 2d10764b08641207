// Every verb of the lpicing command: its synopsis, description, options with
// their defaults, exit statuses and JSON. The single source of the parser's
// option tables (cli_parse.cc) and of every help text (cli_help.cc), and so
// of the man page (help2man) and the bash completion (_parse_help).
#include <string_view>

#include "cli.h"

namespace lpicing_tool {

namespace {

std::vector<OptionSpec> limit_options() {
  return {
      {Opt::trusted_key, 0, "trusted-key", "FILE",
       "accept only bundles signed with this Ed25519 public\n"
       "key (PEM); default: no signature is required"},
      {Opt::max_entries, 0, "max-entries", "N", "reject a bundle of over N entries (default 100000)"},
      {Opt::max_bytes, 0, "max-bytes", "N", "reject a bundle of more than N uncompressed bytes\n(default 2147483648)"},
      {Opt::max_ratio, 0, "max-ratio", "X",
       "reject a bundle inflating over X times its size\n(default 100; applies above 1 MiB)"},
  };
}

std::vector<OptionSpec> plus(std::vector<OptionSpec> a, const std::vector<OptionSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr char kStoreJson[] =
    "STORE is exactly what 'lpicing list --json' prints (schema 1).\n";

constexpr char kErrorJson[] =
    "On failure with --json, standard output is one object too, besides the\n"
    "line on standard error:\n"
    "  {\"error\": {\"kind\": \"rejected\"|\"system\"|\"io\", \"entry\": E|null, \"message\": M},\n"
    "   \"exit\": N}\n"
    "kind is rejected for status 2, system for 3, io for 66.\n";

const ExitStatus kOk{kExitOk, "success"};
const ExitStatus kUsage{kExitUsage, "usage error: bad option, argument or number"};
const ExitStatus kStore{kExitStoreError, "store or system error"};
const ExitStatus kNoInput{kExitNoInput, "an input file is missing or cannot be read"};

std::vector<VerbSpec> make_verbs() {
  std::vector<VerbSpec> v;
  v.push_back(VerbSpec{
      "pack", "[OPTION]... -r REV -o OUT SRC-DIR", "make a bundle of a directory",
      "Pack SRC-DIR into a bundle: a gzip-compressed tar archive holding REVISION,\n"
      "SHA256SUMS, SHA256SUMS.sig when signed, then the files in byte order.\n"
      "The same directory always packs to the same bytes.\n",
      {
          {Opt::revision, 'r', "revision", "REV",
           "the revision id (required), matching\n^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
          {Opt::key, 'k', "key", "FILE", "sign SHA256SUMS with this Ed25519 private key (PEM);\ndefault: unsigned"},
          {Opt::output, 'o', "output", "FILE",
           "write the bundle to FILE (required), by way of FILE.part;\n"
           "'-' writes it to standard output (not a terminal)"},
      },
      {kOk,
       {kExitStoreError, "the bundle cannot be written (or SRC-DIR holds a link,\na special file or an unusable name)"},
       kUsage,
       {kExitNoInput, "SRC-DIR or the key file is missing or cannot be read"}},
      ""});
  v.push_back(VerbSpec{
      "verify", "[OPTION]... BUNDLE", "check a bundle without deploying it",
      "Check BUNDLE as deploy would: a tar archive (plain, gzip, xz or zstd) holding\n"
      "REVISION, SHA256SUMS, optionally SHA256SUMS.sig (Ed25519 over SHA256SUMS) and\n"
      "the assets; every entry, checksum and limit, and the signature when a trusted\n"
      "key is given. Nothing is written.\n",
      plus(limit_options(), {{Opt::json, 0, "json", nullptr, "print the result as JSON on standard output"}}),
      {kOk,
       {kExitRejected, "the bundle is rejected"},
       kUsage,
       {kExitNoInput, "BUNDLE or the key file is missing, or cannot be read"}},
      "With --json, standard output is one object:\n"
      "  {\"verb\": \"verify\", \"bundle\": PATH, \"revision\": R, \"files\": N, \"bytes\": N,\n"
      "   \"signature\": \"verified\"|\"unchecked\"|\"unsigned\"}\n"
      "files and bytes count the assets; unchecked: signed, but no --trusted-key.\n"});
  v.push_back(VerbSpec{
      "deploy", "[OPTION]... --store=DIR BUNDLE", "publish a bundle's revision in a store",
      "Check BUNDLE as verify does, stage it in the store, write .br and .gz variants\n"
      "of its text assets, move it into place under its revision id, and make it\n"
      "current unless told not to. A revision already in the store is accepted\n"
      "again only with identical SHA256SUMS (nothing is written then). Run as root\n"
      "against a store another user owns, deploy becomes that user once its inputs\n"
      "are open.\n"
      "On a terminal, progress is shown on standard error.\n",
      plus({{Opt::store, 0, "store", "DIR", "the store (required); created when missing"},
            {Opt::no_activate, 0, "no-activate", nullptr,
             "publish only; make it current later with activate"},
            {Opt::keep, 0, "keep", "N", "then prune to N revisions (default: no pruning)"}},
           plus(limit_options(), {{Opt::json, 0, "json", nullptr, "print the result as JSON on standard output"}})),
      {kOk,
       {kExitRejected, "the bundle is rejected; the store is left as it was"},
       kStore,
       kUsage,
       {kExitNoInput, "BUNDLE or the key file is missing, or cannot be read"}},
      "With --json, standard output is one object:\n"
      "  {\"verb\": \"deploy\", \"revision\": R, \"unchanged\": BOOL, \"activated\": BOOL,\n"
      "   \"pruned\": [R, ...], \"store\": STORE}\n"});
  v.push_back(VerbSpec{
      "list", "[OPTION]... --store=DIR", "list a store's revisions",
      "One line per revision, newest deploy first: '*' marks the current one, then\n"
      "the id, the deploy time (UTC), files, bytes, and current or previous. A\n"
      "revision that cannot be served is listed after '!' with the reason.\n",
      {{Opt::store, 0, "store", "DIR", "the store (required)"},
       {Opt::json, 0, "json", nullptr, "print the store report (schema 1) as JSON on standard output"}},
      {kOk, kStore, kUsage},
      "With --json, standard output is the store report, also served by\n"
      "SetHandler lpicing-status:\n"
      "  {\"schema\": 1, \"current\": R|null, \"previous\": R|null,\n"
      "   \"revisions\": [{\"revision\", \"current\", \"previous\", \"files\", \"bytes\",\n"
      "                  \"deployed\", \"deployed_unix\", \"sha256sums\"}, ...],\n"
      "   \"errors\": [{\"revision\": R|null, \"error\": WHY}, ...]}\n"});
  v.push_back(VerbSpec{
      "activate", "[OPTION]... --store=DIR REV", "make a revision current (roll back or forward)",
      "Make REV, a revision in the store, current, in one atomic step; the revision\n"
      "current before becomes previous.\n",
      {{Opt::store, 0, "store", "DIR", "the store (required)"},
       {Opt::json, 0, "json", nullptr, "print the result as JSON on standard output"}},
      {kOk, {kExitRejected, "REV is not in the store"}, kStore, kUsage},
      "With --json, standard output is one object (unchanged: REV was current):\n"
      "  {\"verb\": \"activate\", \"revision\": R, \"unchanged\": BOOL, \"activated\": true,\n"
      "   \"store\": STORE}\n"});
  v.push_back(VerbSpec{
      "prune", "[OPTION]... --store=DIR --keep=N", "remove old revisions",
      "Remove the revisions beyond the N most recently deployed. Never removed: the\n"
      "current revision, the previous one, and any deployed within the last hour.\n",
      {{Opt::store, 0, "store", "DIR", "the store (required)"},
       {Opt::keep, 0, "keep", "N", "keep the N newest revisions (required, at least 1)"},
       {Opt::dry_run, 'n', "dry-run", nullptr, "print what would be removed; change nothing"},
       {Opt::json, 0, "json", nullptr, "print the result as JSON on standard output"}},
      {kOk, kStore, kUsage},
      "With --json, standard output is one object (with --dry-run, \"would_prune\"\n"
      "instead of \"pruned\", and STORE as it is):\n"
      "  {\"verb\": \"prune\", \"dry_run\": BOOL, \"pruned\": [R, ...], \"store\": STORE}\n"});
  v.push_back(VerbSpec{
      "ingest", "[OPTION]... --incoming=DIR --store=DIR", "deploy the bundles of a drop directory",
      "Deploy every ready file of the drop directory, oldest first: names not\n"
      "starting with '.' nor ending in .part or .tmp (copy as NAME.part, then rename\n"
      "to NAME). A deployed bundle is removed; a rejected one moves to\n"
      "DIR/rejected/ with a NAME.reason file. mod_lpicing's watcher runs this as\n"
      "LPIcingUser; one line per bundle on standard error.\n",
      plus({{Opt::incoming, 0, "incoming", "DIR", "the drop directory (required)"},
            {Opt::store, 0, "store", "DIR", "the store (required); created when missing"},
            {Opt::keep, 0, "keep", "N", "after a deploy, prune to N revisions (default 5)"},
            {Opt::trusted_key_fd, 0, "trusted-key-fd", "FD",
             "read the trusted key from descriptor FD (3 to 1024)\n"
             "instead of a file, as the watcher passes it"}},
           limit_options()),
      {kOk,
       {kExitRejected, "a bundle was rejected (the others were deployed)"},
       {kExitStoreError, "store or system error; the bundle stays in place"},
       kUsage,
       {kExitNoInput, "the key file is missing, or cannot be read"}},
      ""});
  v.push_back(VerbSpec{
      "wait", "[OPTION]... --rev=REV STATUS-URL...", "wait until web servers have a revision",
      "Poll each web server's lpicing-status URL (e.g. http://web1/lpicing-status)\n"
      "every 0.5 s until REV is present on all of them (with --current: current on\n"
      "all), or the timeout passes: the gate before app servers roll. Progress on\n"
      "standard error.\n",
      {{Opt::rev, 0, "rev", "REV", "the revision to wait for (required)"},
       {Opt::timeout, 0, "timeout", "SECONDS", "give up after SECONDS (default 300;\n0 asks each server once)"},
       {Opt::current, 0, "current", nullptr, "wait until REV is current, not just present"},
       {Opt::json, 0, "json", nullptr, "print the result as JSON on standard output"}},
      {kOk, kStore, {kExitNotReady, "timed out before every server had REV"}, kUsage},
      "With --json, standard output is one object, whatever the outcome:\n"
      "  {\"revision\": R, \"require_current\": BOOL, \"ready\": BOOL, \"elapsed_seconds\": X,\n"
      "   \"servers\": [{\"url\", \"ready\", \"state\", \"reason\", \"http_status\", \"current\",\n"
      "                \"ready_after_seconds\", \"polls\"}, ...]}\n"});
  // STORE and the failure object are the same wherever --json applies.
  for (VerbSpec& verb : v) {
    std::string_view name = verb.name;
    bool has_store = name == "deploy" || name == "activate" || name == "prune";
    if (has_store) verb.notes += kStoreJson;
    if (has_store || name == "verify" || name == "list") verb.notes += kErrorJson;
  }
  return v;
}

}  // namespace

const std::vector<ExitStatus>& exit_statuses() {
  static const std::vector<ExitStatus> table = {
      {kExitOk, "success"},
      {kExitRejected, "a bundle is rejected, or a revision is not in the store"},
      {kExitStoreError, "store or system error"},
      {kExitNotReady, "wait timed out before every server had the revision"},
      {kExitUsage, "usage error: bad option, argument or number"},
      {kExitNoInput, "an input file is missing or cannot be read: the bundle,\na key file, pack's source directory"},
  };
  return table;
}

const std::vector<OptionSpec>& common_options() {
  static const std::vector<OptionSpec> common = {
      {Opt::quiet, 'q', "quiet", nullptr, "print nothing but errors"},
      {Opt::verbose, 'v', "verbose", nullptr, "print more detail on standard error"},
      {Opt::help, 'h', "help", nullptr, "show this help and exit"},
  };
  return common;
}

const std::vector<VerbSpec>& verbs() {
  static const std::vector<VerbSpec> table = make_verbs();
  return table;
}

const VerbSpec* find_verb(std::string_view name) {
  for (const VerbSpec& v : verbs())
    if (name == v.name) return &v;
  return nullptr;
}

}  // namespace lpicing_tool
