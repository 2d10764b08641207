// `lpicing ingest`: the drop directory's deploys, run by mod_lpicing's
// watcher. Its exit status means to the watcher what it always has: 0 all
// deployed, 2 a bundle rejected, anything else a failure that rests the drop
// directory (mod_lpicing_watcher.cc).
#include <stdio.h>

#include "cli.h"
#include "ingest.h"
#include "inputs.h"

namespace lpicing_tool {

int cmd_ingest(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 0, 0, "", {Opt::incoming, Opt::store})) return out.usage(*problem);
  lpicing::IngestOptions o;
  if (auto problem = read_bundle_options(args, &o.deploy.bundle)) return report(out, *problem);
  if (auto problem = read_keep(args, &o.deploy.keep)) return report(out, *problem);
  o.incoming_dir = args.value(Opt::incoming);
  o.store_dir = args.value(Opt::store);
  o.deploy.on_step = fault_injection;
  const std::int64_t start = now_ns();
  if (std::string why = become_store_owner(o.store_dir); !why.empty()) return out.fail(kExitStoreError, why);
  // One line per bundle, as the watcher has always read them; --quiet keeps
  // only the failure, below.
  lpicing::IngestReport result = lpicing::ingest_incoming(o, [&](const std::string& line) {
    if (!args.quiet()) fprintf(stderr, "lpicing: %s\n", line.c_str());
  });
  if (args.quiet() && !result.outcome) fprintf(stderr, "lpicing: %s\n", result.outcome.error().what().c_str());
  if (result.busy) out.detail("another writer holds the store; nothing done");
  out.detail("%zu deployed or already present, %zu rejected or skipped; %.3f s", result.deployed.size(),
             result.rejected.size(), seconds_since(start));
  return result.outcome ? kExitOk : exit_code_for(result.outcome.error());
}

}  // namespace lpicing_tool
