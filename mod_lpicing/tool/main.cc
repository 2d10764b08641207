// The lpicing command: pack, verify, deploy, list, activate, prune and ingest asset
// bundles. Argument parsing and output only; the work is in lpicing_core.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "bundle.h"
#include "cli.h"
#include "crypto.h"
#include "fsutil.h"
#include "gate_json.h"
#include "http_poll.h"
#include "ingest.h"
#include "pack.h"
#include "store.h"

namespace {

using namespace lpicing_tool;

const char kUsage[] =
    "usage: lpicing pack SRC-DIR -r REV [-k PRIVATE-KEY] -o OUT\n"
    "       lpicing verify BUNDLE [--trusted-key PUB] [LIMITS]\n"
    "       lpicing deploy BUNDLE --store DIR [--no-activate] [--trusted-key PUB] [--keep N] [LIMITS]\n"
    "       lpicing list --store DIR [--json]\n"
    "       lpicing activate REV --store DIR\n"
    "       lpicing prune --store DIR --keep N\n"
    "       lpicing ingest --incoming DIR --store DIR [--keep N] [--trusted-key PUB | --trusted-key-fd FD] [LIMITS]\n"
    "       lpicing wait --rev REV [--timeout SECONDS] [--current] [--json] STATUS-URL...\n"
    "LIMITS: --max-entries N (100000)  --max-bytes N (2147483648)  --max-ratio X (100)\n";

const char kHelp[] =
    "\n"
    "Bundles are tar archives (plain, gzip, xz or zstd) holding REVISION, SHA256SUMS,\n"
    "optionally SHA256SUMS.sig (Ed25519 over SHA256SUMS) and the asset files.\n"
    "Exit codes: 0 ok, 2 bundle rejected or unknown revision, 3 store or I/O error,\n"
    "4 wait timed out before every server had the revision, 64 usage.\n"
    "ingest deploys every ready file of the drop directory (not starting with '.', not\n"
    "ending in .part or .tmp: copy as NAME.part, then rename to NAME), oldest first;\n"
    "rejected bundles move to DIR/rejected/ with a NAME.reason file.\n"
    "wait polls each web server's lpicing-status URL (e.g. http://web1/lpicing-status) every\n"
    "0.5 s until REV is present on all of them (--current: until it is current on all),\n"
    "or SECONDS pass (default 300); progress on stderr, --json prints the result on stdout.\n";


const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> a = {
      {"-r", "--revision"}, {"-k", "--key"}, {"-o", "--output"}};
  return a;
}

const std::set<std::string>& value_options() {
  static const std::set<std::string> v = {"--revision", "--key", "--output", "--store",
                                          "--trusted-key", "--keep", "--incoming",
                                          "--max-entries", "--max-bytes", "--max-ratio",
                                          "--rev", "--timeout", "--trusted-key-fd"};
  return v;
}

// Returns an error text, or "" when the arguments parse.
std::string parse(int argc, char** argv, Args* args) {
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      std::string value;
      bool has_value = false;
      std::size_t eq = a.find('=');
      if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_value = true;
      }
      auto al = aliases().find(a);
      if (al != aliases().end()) a = al->second;
      if (value_options().count(a)) {
        if (!has_value) {
          if (i + 1 >= argc) return "option " + a + " needs a value";
          value = argv[++i];
        }
        if (args->values.count(a)) return "option " + a + " given twice";
        args->values[a] = value;
      } else if (a == "--no-activate" || a == "--json" || a == "--current") {
        if (has_value) return "option " + a + " takes no value";
        args->flags.insert(a);
      } else {
        return "unknown option " + std::string(argv[i]);
      }
    } else {
      args->positional.push_back(a);
    }
  }
  return "";
}

bool parse_u64(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// Checks that only `allowed` options were given and `npos` positionals.
std::string check_shape(const Args& args, const std::set<std::string>& allowed,
                        const std::set<std::string>& required, std::size_t npos,
                        const char* positional_name) {
  for (auto& [k, v] : args.values)
    if (!allowed.count(k)) return "option " + k + " does not apply to " + args.verb;
  for (auto& f : args.flags)
    if (!allowed.count(f)) return "option " + f + " does not apply to " + args.verb;
  for (auto& r : required)
    if (!args.values.count(r)) return args.verb + " needs " + r;
  if (args.positional.size() != npos) {
    if (npos == 0) return args.verb + " takes no argument " + args.positional[0];
    return args.verb + " needs exactly one " + positional_name;
  }
  return "";
}

// Run as root against a store another user owns (the deploy user of the drop
// directory), a writing verb becomes that user once its inputs are open, so
// everything it writes stays the owner's and the watcher can manage it later.
// Returns "" or why it could not.
std::string become_store_owner(const std::string& store_dir) {
  if (::geteuid() != 0) return "";
  struct stat st;
  if (::stat(store_dir.c_str(), &st) != 0 || st.st_uid == 0) return "";
  const passwd* pw = ::getpwuid(st.st_uid);
  gid_t gid = pw ? pw->pw_gid : st.st_gid;
  bool groups_ok = pw ? ::initgroups(pw->pw_name, gid) == 0 : ::setgroups(0, nullptr) == 0;
  if (!groups_ok || ::setgid(gid) != 0 || ::setuid(st.st_uid) != 0)
    return "cannot become the store's owner (uid " + std::to_string(st.st_uid) + "): " + lpicing::errno_text(errno);
  if (::setuid(0) == 0) return "still able to regain root after becoming the store's owner";
  return "";
}

// The trusted key from --trusted-key-fd: a descriptor the watcher filled
// with the key httpd read at configuration time.
bool read_key_fd(const std::string& fd_text, std::string* pem, std::string* error) {
  std::uint64_t n = 0;
  if (!parse_u64(fd_text, &n) || n < 3 || n > 1024) {
    *error = "--trusted-key-fd needs a descriptor number from 3 to 1024";
    return false;
  }
  int fd = static_cast<int>(n);
  pem->clear();
  char buf[4096];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      *error = "cannot read the trusted key from descriptor " + fd_text + ": " + lpicing::errno_text(errno);
      return false;
    }
    if (got == 0) break;
    pem->append(buf, static_cast<std::size_t>(got));
    if (pem->size() > 65536) {
      *error = "the trusted key on descriptor " + fd_text + " is larger than 64 KiB";
      return false;
    }
  }
  ::close(fd);
  return true;
}

// Fills limits and the trusted key; returns "" or a usage error. *io_error is set
// instead when the key file cannot be used.
std::string bundle_options(const Args& args, lpicing::BundleOptions* o, std::string* io_error) {
  std::uint64_t n;
  auto it = args.values.find("--max-entries");
  if (it != args.values.end()) {
    if (!parse_u64(it->second, &n) || n == 0) return "--max-entries needs a positive number";
    o->limits.max_entries = n;
  }
  it = args.values.find("--max-bytes");
  if (it != args.values.end()) {
    if (!parse_u64(it->second, &n) || n == 0) return "--max-bytes needs a positive number";
    o->limits.max_bytes = n;
  }
  it = args.values.find("--max-ratio");
  if (it != args.values.end()) {
    char* end = nullptr;
    double r = strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end || !(r > 0)) return "--max-ratio needs a positive number";
    o->limits.max_ratio = r;
  }
  it = args.values.find("--trusted-key-fd");
  if (it != args.values.end()) {
    std::string error;
    if (args.values.count("--trusted-key")) return "--trusted-key and --trusted-key-fd are exclusive";
    if (!read_key_fd(it->second, &o->trusted_key_pem, &error)) {
      *io_error = error;
    } else if (lpweb::Status key = lpicing::ed25519_check_public_key(o->trusted_key_pem); !key) {
      *io_error = "the trusted key on descriptor " + it->second + " is unusable: " + key.error().message;
    }
  }
  it = args.values.find("--trusted-key");
  if (it != args.values.end()) {
    lpweb::Result<std::string> pem = lpicing::read_file(it->second, 1 << 16);
    if (!pem) {
      *io_error = "cannot read trusted key: " + pem.error().message;
    } else if (lpweb::Status key = lpicing::ed25519_check_public_key(*pem); !key) {
      *io_error = "trusted key " + lpicing::quote(it->second) + " is unusable: " + key.error().message;
    } else {
      o->trusted_key_pem = std::move(*pem);
    }
  }
  return "";
}

void fault_injection(const char* step) {
  // Crash-consistency tests kill the tool at a chosen step of a store change.
  const char* f = getenv("LPICING_FAULT");
  if (f && strcmp(f, step) == 0) raise(SIGKILL);
}

int cmd_pack(const Args& args) {
  std::string e = check_shape(args, {"--revision", "--key", "--output"}, {"--revision", "--output"},
                              1, "SRC-DIR");
  if (!e.empty()) return usage(e);
  lpicing::PackOptions o;
  o.source_dir = args.positional[0];
  o.revision = args.values.at("--revision");
  o.output = args.values.at("--output");
  if (!lpicing::is_valid_revision_id(o.revision))
    return usage("revision id " + lpicing::quote(o.revision) +
                 " does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  auto key = args.values.find("--key");
  if (key != args.values.end()) {
    lpweb::Result<std::string> pem = lpicing::read_file(key->second, 1 << 16);
    if (!pem) return fail(3, "cannot read private key: " + pem.error().message);
    o.private_key_pem = std::move(*pem);
  }
  if (lpweb::Status packed = lpicing::pack_bundle(o); !packed)
    return fail(3, "cannot pack " + lpicing::quote(o.source_dir) + ": " + packed.error().message);
  printf("packed revision %s into %s\n", o.revision.c_str(), o.output.c_str());
  return 0;
}

const std::set<std::string> kLimitOptions = {"--max-entries", "--max-bytes", "--max-ratio",
                                             "--trusted-key"};

std::set<std::string> with_limits(std::set<std::string> s) {
  s.insert(kLimitOptions.begin(), kLimitOptions.end());
  return s;
}

int cmd_verify(const Args& args) {
  std::string e = check_shape(args, with_limits({}), {}, 1, "BUNDLE");
  if (!e.empty()) return usage(e);
  lpicing::BundleOptions o;
  std::string io_error;
  e = bundle_options(args, &o, &io_error);
  if (!e.empty()) return usage(e);
  if (!io_error.empty()) return fail(3, io_error);
  lpweb::Result<lpicing::Bundle> read = lpicing::read_bundle(args.positional[0], o, -1);
  if (!read) return fail(2, "rejected bundle " + lpicing::quote(args.positional[0]) + ": " + read.error().what());
  const lpicing::Bundle& bundle = *read;
  printf("bundle %s is valid: revision %s, %zu files%s\n", args.positional[0].c_str(),
         bundle.revision.c_str(), bundle.files.size(),
         bundle.signature_verified ? ", signature verified"
         : bundle.signature        ? ", signed (no trusted key given, signature not checked)"
                                   : ", unsigned");
  return 0;
}

bool parse_keep(const Args& args, std::optional<std::size_t>* keep, std::string* error) {
  auto it = args.values.find("--keep");
  if (it == args.values.end()) return true;
  std::uint64_t n;
  if (!parse_u64(it->second, &n) || n == 0) {
    *error = "--keep needs a number of revisions, at least 1";
    return false;
  }
  *keep = static_cast<std::size_t>(n);
  return true;
}

// The operator's line for a deploy that failed: a rejected bundle names itself
// and the entry at fault; a store error speaks for itself.
std::string rejected_bundle(const std::string& bundle, const lpweb::Error& error) {
  if (error.kind == lpweb::Error::Kind::system) return error.what();
  return "rejected bundle " + lpicing::quote(bundle) + ": " + error.what();
}

int cmd_deploy(const Args& args) {
  std::string e = check_shape(args, with_limits({"--store", "--no-activate", "--keep"}), {"--store"}, 1,
                              "BUNDLE");
  if (!e.empty()) return usage(e);
  lpicing::DeployOptions o;
  std::string io_error;
  e = bundle_options(args, &o.bundle, &io_error);
  if (!e.empty() || !parse_keep(args, &o.keep, &e)) return usage(e);
  if (!io_error.empty()) return fail(3, io_error);
  o.activate = !args.flags.count("--no-activate");
  o.on_step = fault_injection;
  const std::string& store = args.values.at("--store");
  lpweb::Result<lpicing::UniqueFd> bundle = lpicing::open_bundle(args.positional[0]);
  if (!bundle) return fail(2, rejected_bundle(args.positional[0], bundle.error()));
  if (std::string why = become_store_owner(store); !why.empty()) return fail(3, why);
  lpicing::StoreResult r = lpicing::deploy_bundle(store, bundle->get(), o);
  if (!r) return fail(lpicing::exit_code(r.error()), rejected_bundle(args.positional[0], r.error()));
  printf("deployed revision %s%s%s\n", r->revision.c_str(),
         r->unchanged ? " (already in the store with identical SHA256SUMS, unchanged)" : "",
         o.activate ? ", now current" : "");
  for (auto& p : r->pruned) printf("pruned revision %s\n", p.c_str());
  return 0;
}

int cmd_list(const Args& args) {
  std::string e = check_shape(args, {"--store", "--json"}, {"--store"}, 0, "");
  if (!e.empty()) return usage(e);
  const std::string& store = args.values.at("--store");
  struct stat st;
  if (::stat(store.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(3, "cannot open store " + lpicing::quote(store) + ": " +
                       lpicing::errno_text(errno ? errno : ENOTDIR));
  lpicing::StoreReport report = lpicing::read_store_report(store);
  if (report.listing_failed) return fail(3, "cannot list store " + lpicing::quote(store) + ": " + report.errors[0].why);
  if (args.flags.count("--json")) {
    printf("%s", lpicing::store_report_json(report).c_str());
    return 0;
  }
  for (const lpicing::RevisionReport& r : report.revisions) {
    printf("%c %-24s %s %8llu files %12llu bytes%s\n", r.revision == report.current ? '*' : ' ', r.revision.c_str(),
           lpicing::iso8601_utc(r.header.deployed).c_str(), static_cast<unsigned long long>(r.header.file_count),
           static_cast<unsigned long long>(r.header.total_bytes),
           r.revision == report.current ? "  current" : r.revision == report.previous ? "  previous" : "");
  }
  for (const lpicing::RevisionError& err : report.errors)
    printf("! %-24s cannot be served: %s\n", err.revision.c_str(), err.why.c_str());
  return 0;
}

int cmd_activate(const Args& args) {
  std::string e = check_shape(args, {"--store"}, {"--store"}, 1, "REV");
  if (!e.empty()) return usage(e);
  if (std::string why = become_store_owner(args.values.at("--store")); !why.empty()) return fail(3, why);
  lpicing::StoreResult r = lpicing::activate_revision(args.values.at("--store"), args.positional[0], fault_injection);
  if (!r) return fail(lpicing::exit_code(r.error()), r.error().what());
  printf("revision %s is current\n", args.positional[0].c_str());
  return 0;
}

int cmd_prune(const Args& args) {
  std::string e = check_shape(args, {"--store", "--keep"}, {"--store", "--keep"}, 0, "");
  std::optional<std::size_t> keep;
  if (!e.empty() || !parse_keep(args, &keep, &e)) return usage(e);
  if (std::string why = become_store_owner(args.values.at("--store")); !why.empty()) return fail(3, why);
  lpicing::StoreResult r = lpicing::prune_store(args.values.at("--store"), *keep, 0, fault_injection);
  if (!r) return fail(lpicing::exit_code(r.error()), r.error().what());
  for (auto& p : r->pruned) printf("pruned revision %s\n", p.c_str());
  return 0;
}

int cmd_ingest(const Args& args) {
  std::string e = check_shape(args, with_limits({"--store", "--incoming", "--keep", "--trusted-key-fd"}),
                              {"--store", "--incoming"}, 0, "");
  if (!e.empty()) return usage(e);
  lpicing::IngestOptions o;
  std::string io_error;
  e = bundle_options(args, &o.deploy.bundle, &io_error);
  if (!e.empty() || !parse_keep(args, &o.deploy.keep, &e)) return usage(e);
  if (!io_error.empty()) return fail(3, io_error);
  o.incoming_dir = args.values.at("--incoming");
  o.store_dir = args.values.at("--store");
  o.deploy.on_step = fault_injection;
  if (std::string why = become_store_owner(o.store_dir); !why.empty()) return fail(3, why);
  auto report = lpicing::ingest_incoming(o, [](const std::string& line) {
    fprintf(stderr, "lpicing: %s\n", line.c_str());
  });
  return report.outcome ? 0 : lpicing::exit_code(report.outcome.error());
}

}  // namespace

namespace lpicing_tool {

int usage(const std::string& problem) {
  fprintf(stderr, "lpicing: %s\n%s", problem.c_str(), kUsage);
  return kExitUsage;
}

int fail(int code, const std::string& message) {
  fprintf(stderr, "lpicing: %s\n", message.c_str());
  return code;
}

}  // namespace lpicing_tool

int main(int argc, char** argv) {
  if (argc < 2) return usage("no command given");
  std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    printf("%s%s", kUsage, kHelp);
    return 0;
  }
  for (int i = 2; i < argc; ++i) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("%s%s", kUsage, kHelp);
      return 0;
    }
  }
  Args args;
  args.verb = verb;
  std::string e = parse(argc, argv, &args);
  if (!e.empty()) return usage(e);
  try {
    if (verb == "pack") return cmd_pack(args);
    if (verb == "verify") return cmd_verify(args);
    if (verb == "deploy") return cmd_deploy(args);
    if (verb == "list") return cmd_list(args);
    if (verb == "activate") return cmd_activate(args);
    if (verb == "prune") return cmd_prune(args);
    if (verb == "ingest") return cmd_ingest(args);
    if (verb == "wait") return cmd_wait(args);
  } catch (const std::exception& ex) {
    return fail(3, ex.what());
  }
  return usage("unknown command " + lpicing::quote(verb));
}
