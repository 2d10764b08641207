// The lpicing command: pack, verify, deploy, list, activate, prune, ingest and
// wait. main only picks the verb, parses its options (cli_parse.cc) and runs it
// (cmd_*.cc); the verbs' options and help texts are in cli_spec.cc, the work
// in lpicing_core. No exception leaves main.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <exception>
#include <string>

#include "cli.h"
#include "text.h"

namespace {

using namespace lpicing_tool;

int run_verb(const VerbSpec& verb, const Args& args) {
  const std::string name = verb.name;
  if (name == "pack") return cmd_pack(args);
  if (name == "verify") return cmd_verify(args);
  if (name == "deploy") return cmd_deploy(args);
  if (name == "list") return cmd_list(args);
  if (name == "activate") return cmd_activate(args);
  if (name == "prune") return cmd_prune(args);
  if (name == "ingest") return cmd_ingest(args);
  if (name == "wait") return cmd_wait(args);
  return usage_error(nullptr, "unknown command " + lpweb::quote(name));
}

// `lpicing help [VERB|--all]`.
int help(int argc, char** argv) {
  if (argc > 3) return usage_error(nullptr, "help takes at most one VERB");
  if (argc == 2) {
    fputs(global_help().c_str(), stdout);
    return kExitOk;
  }
  if (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) {
    fputs(global_help().c_str(), stdout);
    return kExitOk;
  }
  if (!strcmp(argv[2], "--all")) {
    fputs(all_help().c_str(), stdout);
    return kExitOk;
  }
  const VerbSpec* verb = find_verb(argv[2]);
  if (!verb) return usage_error(nullptr, "unknown command " + lpweb::quote(argv[2]));
  fputs(verb_help(*verb).c_str(), stdout);
  return kExitOk;
}

int run(int argc, char** argv) {
  if (argc < 2) return usage_error(nullptr, "no command given");
  const char* first = argv[1];
  if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
    if (argc > 2) return usage_error(nullptr, std::string("nothing may follow ") + first);
    fputs(global_help().c_str(), stdout);
    return kExitOk;
  }
  if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
    if (argc > 2) return usage_error(nullptr, std::string("nothing may follow ") + first);
    fputs(version_text().c_str(), stdout);
    return kExitOk;
  }
  if (!strcmp(first, "help")) return help(argc, argv);
  if (first[0] == '-')
    return usage_error(nullptr, std::string("unrecognized option '") + first + "' (a verb's options follow the verb)");
  const VerbSpec* verb = find_verb(first);
  if (!verb) return usage_error(nullptr, "unknown command " + lpweb::quote(first));
  Args args;
  if (std::optional<std::string> problem = parse_arguments(*verb, argc, argv, 2, &args))
    return usage_error(verb, *problem);
  if (args.help) {
    fputs(verb_help(*verb).c_str(), stdout);
    return kExitOk;
  }
  return run_verb(*verb, args);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int code = run(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
      fprintf(stderr, "lpicing: cannot write to standard output: %s\n", strerror(errno));
      return code ? code : kExitStoreError;
    }
    return code;
  } catch (const std::exception& e) {
    fprintf(stderr, "lpicing: %s\n", e.what());
  } catch (...) {
    fprintf(stderr, "lpicing: unexpected failure\n");
  }
  return kExitStoreError;
}
