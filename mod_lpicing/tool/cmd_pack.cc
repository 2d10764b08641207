// `lpicing pack`: a bundle of a directory, into a file or onto standard output.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "inputs.h"
#include "pack.h"

namespace lpicing_tool {

int cmd_pack(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 1, 1, "SRC-DIR", {Opt::revision, Opt::output})) return out.usage(*problem);
  const std::int64_t start = now_ns();
  lpicing::PackOptions o;
  o.source_dir = args.positional[0];
  o.revision = args.value(Opt::revision);
  o.output = args.value(Opt::output);
  if (!lpicing::is_valid_revision_id(o.revision))
    return out.usage("revision id " + lpicing::quote(o.revision) + " does not match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  const bool to_stdout = o.output == "-";
  if (to_stdout && ::isatty(STDOUT_FILENO))
    return out.usage("refusing to write a bundle to a terminal; redirect standard output or give -o FILE");
  if (args.has(Opt::key))
    if (auto problem = read_key_file(args.value(Opt::key), "private key", &o.private_key_pem))
      return report(out, *problem);
  lpicing::UniqueFd source(::open(o.source_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!source)
    return out.fail(kExitNoInput, "cannot read source directory " + lpicing::quote(o.source_dir) + ": " +
                                      lpicing::errno_text(errno));
  if (to_stdout) {
    o.output_fd = STDOUT_FILENO;
    fflush(stdout);
  }
  if (lpweb::Status packed = lpicing::pack_bundle(o); !packed) {
    // The only rejection left is a key that cannot sign: an unusable input file.
    int code = packed.error().kind == lpweb::Error::Kind::rejected ? kExitNoInput : kExitStoreError;
    return out.fail(code, "cannot pack " + lpicing::quote(o.source_dir) + ": " + packed.error().message);
  }
  // With the bundle on stdout, what is said goes to stderr.
  if (to_stdout) {
    if (!args.quiet()) fprintf(stderr, "lpicing: packed revision %s onto standard output\n", o.revision.c_str());
  } else {
    out.say("packed revision %s into %s\n", o.revision.c_str(), o.output.c_str());
  }
  if (out.verbose()) {
    struct stat st;
    if (!to_stdout && ::stat(o.output.c_str(), &st) == 0)
      out.detail("%s: %lld bytes", o.output.c_str(), static_cast<long long>(st.st_size));
    out.detail("%s, packed in %.3f s", o.private_key_pem.empty() ? "unsigned" : "signed", seconds_since(start));
  }
  return kExitOk;
}

}  // namespace lpicing_tool
