// The verbs that look at or change a store's revisions: `lpicing list`,
// `activate` and `prune`.
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>

#include "cli.h"
#include "inputs.h"
#include "store.h"
#include "store_json.h"

namespace lpicing_tool {

int cmd_list(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 0, 0, "", {Opt::store})) return out.usage(*problem);
  const std::string& store = args.value(Opt::store);
  struct stat st;
  if (::stat(store.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return out.fail(kExitStoreError,
                    "cannot open store " + lpicing::quote(store) + ": " + lpicing::errno_text(errno ? errno : ENOTDIR));
  lpicing::StoreReport report = lpicing::read_store_report(store);
  if (report.listing_failed)
    return out.fail(kExitStoreError, "cannot list store " + lpicing::quote(store) + ": " + report.errors[0].why);
  if (out.json_wanted()) {
    out.json(lpicing::store_report_json(report));
    return kExitOk;
  }
  for (const lpicing::RevisionReport& r : report.revisions) {
    out.say("%c %-24s %s %8llu files %12llu bytes%s\n", r.revision == report.current ? '*' : ' ', r.revision.c_str(),
            lpicing::iso8601_utc(r.header.deployed).c_str(), static_cast<unsigned long long>(r.header.file_count),
            static_cast<unsigned long long>(r.header.total_bytes),
            r.revision == report.current ? "  current" : r.revision == report.previous ? "  previous" : "");
    out.detail("%s: SHA256SUMS %s", r.revision.c_str(), r.header.sums_sha256_hex.c_str());
  }
  for (const lpicing::RevisionError& err : report.errors)
    out.say("! %-24s cannot be served: %s\n", err.revision.c_str(), err.why.c_str());
  out.detail("%zu revisions, %zu that cannot be served", report.revisions.size(), report.errors.size());
  return kExitOk;
}

int cmd_activate(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 1, 1, "REV", {Opt::store})) return out.usage(*problem);
  const std::string& store = args.value(Opt::store);
  const std::string& revision = args.positional[0];
  const std::int64_t start = now_ns();
  if (std::string why = become_store_owner(store); !why.empty()) return out.fail(kExitStoreError, why);
  lpicing::StoreResult r = lpicing::activate_revision(store, revision, fault_injection);
  if (!r) return out.fail(exit_code_for(r.error()), r.error().what(), r.error().entry);
  if (out.json_wanted()) {
    out.json(store_change_json(store, [&](lpweb::JsonWriter& j) {
      j.member("verb", "activate").member("revision", r->revision).member("unchanged", r->unchanged);
      j.member("activated", true);
    }));
  }
  out.say("revision %s is current%s\n", revision.c_str(), r->unchanged ? " (it already was)" : "");
  out.detail("previous is %s; activated in %.3f s",
             lpicing::read_store_report(store).previous.c_str(), seconds_since(start));
  return kExitOk;
}

int cmd_prune(const Args& args) {
  Output out(args);
  if (auto problem = check_arguments(args, 0, 0, "", {Opt::store, Opt::keep})) return out.usage(*problem);
  std::optional<std::size_t> keep;
  if (auto problem = read_keep(args, &keep)) return report(out, *problem);
  const std::string& store = args.value(Opt::store);
  const bool dry_run = args.has(Opt::dry_run);
  const std::int64_t start = now_ns();
  if (!dry_run)
    if (std::string why = become_store_owner(store); !why.empty()) return out.fail(kExitStoreError, why);
  lpicing::StoreResult r = lpicing::prune_store(store, *keep, 0, fault_injection,
                                                dry_run ? lpicing::PruneMode::dry_run : lpicing::PruneMode::remove);
  if (!r) return out.fail(exit_code_for(r.error()), r.error().what(), r.error().entry);
  if (out.json_wanted()) {
    out.json(store_change_json(store, [&](lpweb::JsonWriter& j) {
      j.member("verb", "prune").member("dry_run", dry_run);
      write_revision_list(j, dry_run ? "would_prune" : "pruned", r->pruned);
    }));
  }
  for (const std::string& p : r->pruned) out.say("%s revision %s\n", dry_run ? "would prune" : "pruned", p.c_str());
  if (out.verbose()) {
    lpicing::StoreReport after = lpicing::read_store_report(store);
    std::string kept;
    for (const lpicing::RevisionReport& rev : after.revisions)
      if (std::find(r->pruned.begin(), r->pruned.end(), rev.revision) == r->pruned.end())
        kept += (kept.empty() ? "" : ", ") + rev.revision;
    out.detail("%s %zu, keeping %s; %.3f s", dry_run ? "would prune" : "pruned", r->pruned.size(),
               kept.empty() ? "none" : kept.c_str(), seconds_since(start));
  }
  return kExitOk;
}

}  // namespace lpicing_tool
