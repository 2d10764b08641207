// `lpicing deploy`: publishes a bundle's revision, with a progress line on a
// terminal (reading, then precompressing) and phase timings with --verbose.
#include <stdio.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "inputs.h"
#include "progress.h"
#include "store.h"
#include "store_json.h"

namespace lpicing_tool {

namespace {

// What the core's progress hook tells, shown and timed.
struct DeployWatch {
  ProgressLine* line = nullptr;  // null: not on a terminal, or --quiet
  std::int64_t start = now_ns();
  std::int64_t read_done = 0;  // when precompression began
  lpicing::DeployProgress last;

  void operator()(const lpicing::DeployProgress& p) {
    if (p.phase == lpicing::DeployProgress::Phase::precompressing && !read_done) read_done = now_ns();
    if (p.phase == lpicing::DeployProgress::Phase::reading) last.entries = p.entries, last.bytes = p.bytes;
    else last.done = p.done, last.total = p.total;
    if (!line) return;
    char text[160];
    if (p.phase == lpicing::DeployProgress::Phase::reading)
      snprintf(text, sizeof text, "lpicing: reading bundle: %llu entries, %s", static_cast<unsigned long long>(p.entries),
               lpweb::human_bytes(p.bytes).c_str());
    else
      snprintf(text, sizeof text, "lpicing: precompressing: %zu of %zu files", p.done, p.total);
    line->update(text);
  }
};

// The operator's line for a deploy that failed: a rejected bundle names itself
// and the entry at fault; a store error speaks for itself.
std::string rejected_bundle(const std::string& bundle, const lpweb::Error& error) {
  if (error.kind == lpweb::Error::Kind::system) return error.what();
  return "rejected bundle " + lpicing::quote(bundle) + ": " + error.what();
}

}  // namespace

int cmd_deploy(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 1, 1, "BUNDLE", {Opt::store})) return out.usage(*problem);
  const std::string& path = args.positional[0];
  const std::string& store = args.value(Opt::store);
  lpicing::DeployOptions o;
  if (auto problem = read_bundle_options(args, &o.bundle)) return report(out, *problem);
  if (auto problem = read_keep(args, &o.keep)) return report(out, *problem);
  o.activate = !args.has(Opt::no_activate);
  o.on_step = fault_injection;
  lpicing::UniqueFd bundle;
  if (auto problem = open_bundle_file(path, &bundle)) return report(out, *problem);
  if (std::string why = become_store_owner(store); !why.empty()) return out.fail(kExitStoreError, why);

  DeployWatch watch;
  ProgressLine line(stderr, now_ns);
  if (!args.quiet() && ::isatty(STDERR_FILENO)) watch.line = &line;
  if (watch.line || out.verbose()) o.bundle.on_progress = [&watch](const lpicing::DeployProgress& p) { watch(p); };
  lpicing::StoreResult r = lpicing::deploy_bundle(store, bundle.get(), o);
  line.finish();
  if (!r) return out.fail(exit_code_for(r.error()), rejected_bundle(path, r.error()), r.error().entry);

  if (out.json_wanted()) {
    out.json(store_change_json(store, [&](lpweb::JsonWriter& j) {
      j.member("verb", "deploy").member("revision", r->revision).member("unchanged", r->unchanged);
      j.member("activated", o.activate);
      write_revision_list(j, "pruned", r->pruned);
      if (!r->unchanged) {
        const lpicing::ReuseStats& s = r->reuse;
        j.key("reuse").begin_object();
        j.member("files_reused", static_cast<std::uint64_t>(s.files_reused))
            .member("bytes_reused", s.bytes_reused)
            .member("files_written", static_cast<std::uint64_t>(s.files_written))
            .member("bytes_written", s.bytes_written)
            .member("variants_reused", static_cast<std::uint64_t>(s.variants_reused))
            .member("variants_computed", static_cast<std::uint64_t>(s.variants_computed));
        j.end_object();
      }
    }));
  }
  out.say("deployed revision %s%s%s\n", r->revision.c_str(),
          r->unchanged ? " (already in the store with identical SHA256SUMS, unchanged)" : "",
          o.activate ? ", now current" : "");
  if (!r->unchanged) out.say("%s\n", lpicing::describe_reuse(r->reuse).c_str());
  for (const std::string& p : r->pruned) out.say("pruned revision %s\n", p.c_str());
  if (out.verbose()) {
    std::int64_t read_end = watch.read_done ? watch.read_done : now_ns();
    out.detail("read %llu entries, %llu bytes in %.3f s", static_cast<unsigned long long>(watch.last.entries),
               static_cast<unsigned long long>(watch.last.bytes), static_cast<double>(read_end - watch.start) / 1e9);
    if (watch.read_done)
      out.detail("then precompressed %zu files, wrote INDEX and synced in %.3f s", watch.last.total,
                 seconds_since(watch.read_done));
    out.detail("deployed in %.3f s", seconds_since(watch.start));
  }
  return kExitOk;
}

}  // namespace lpicing_tool
