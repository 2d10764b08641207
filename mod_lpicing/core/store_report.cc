// The store report: the layout's one listing, each revision's INDEX header.
#include "store_report.h"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>

#include "store_layout.h"

namespace lpicing {
namespace {

// The report is seen by whoever may read the status page: it names paths
// inside the store only, never where the store is.
std::string relative_to_store(std::string_view store_dir, std::string text) {
  std::string prefix = layout::store_path(store_dir, "");
  for (std::size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
  return text;
}

}  // namespace

std::string iso8601_utc(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  struct tm tm;
  char buf[64];
  if (!::gmtime_r(&t, &tm) || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return {};
  return buf;
}

StoreReport read_store_report(std::string_view store_dir, IndexCache* cache) {
  StoreReport report;
  IndexCache local_cache(1);
  IndexCache& indexes = cache ? *cache : local_cache;
  layout::RevisionNames names = layout::list_revision_names(store_dir);
  if (names.listing_failed) {
    report.listing_failed = true;
    report.errors.emplace_back("", names.listing_error);
  }
  for (const std::string& name : names.invalid) report.errors.emplace_back(name, "not a valid revision id");
  for (const std::string& name : names.revisions) {
    lpweb::Result<std::shared_ptr<const RevisionIndex>> index = indexes.get(store_dir, name);
    if (index && *index) {
      report.revisions.push_back({name, (*index)->header()});
      continue;
    }
    RevisionError e(name, index ? "INDEX missing" : relative_to_store(store_dir, index.error().message));
    struct stat st;
    if (::lstat(layout::revision_path(store_dir, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      e.is_revision = true;
      e.mtime = st.st_mtime;
    }
    report.errors.push_back(std::move(e));
  }
  std::sort(report.revisions.begin(), report.revisions.end(), [](const RevisionReport& a, const RevisionReport& b) {
    return a.header.deployed != b.header.deployed ? a.header.deployed > b.header.deployed : a.revision < b.revision;
  });
  std::sort(report.errors.begin(), report.errors.end(),
            [](const RevisionError& a, const RevisionError& b) { return a.revision < b.revision; });
  report.current = layout::read_revision_link(store_dir, layout::kCurrent);
  report.previous = layout::read_revision_link(store_dir, layout::kPrevious);
  return report;
}

void write_store_report(lpweb::JsonWriter& json, const StoreReport& report) {
  auto revision_or_null = [&](const std::string& r) -> lpweb::JsonWriter& {
    return r.empty() ? json.null() : json.value(r);
  };
  json.member("schema", kStoreReportSchema);
  json.key("current");
  revision_or_null(report.current);
  json.key("previous");
  revision_or_null(report.previous);
  json.key("revisions").begin_array();
  for (const RevisionReport& r : report.revisions) {
    const IndexHeader& h = r.header;
    json.begin_object().member("revision", r.revision);
    json.member("current", r.revision == report.current).member("previous", r.revision == report.previous);
    json.member("files", h.file_count).member("bytes", h.total_bytes);
    std::string when = iso8601_utc(h.deployed);
    json.key("deployed");
    if (when.empty()) {
      json.null();
    } else {
      json.value(when);
    }
    json.member("deployed_unix", h.deployed).member("sha256sums", h.sums_sha256_hex).end_object();
  }
  json.end_array();
  json.key("errors").begin_array();
  for (const RevisionError& e : report.errors) {
    json.begin_object().key("revision");
    revision_or_null(e.revision);
    json.member("error", e.why).end_object();
  }
  json.end_array();
}

std::string store_report_json(const StoreReport& report) {
  lpweb::JsonWriter json;
  json.begin_object();
  write_store_report(json, report);
  json.end_object();
  return json.finish();
}

}  // namespace lpicing
