// Fuzzes mod_lpicing's URL → file resolver: parse_request_path on the raw input,
// served_file_path on what it accepts, and resolve_request against a tiny real
// store (made once in a temporary directory) with a fixed Accept-Encoding.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "index.h"
#include "serve.h"
#include "store_layout.h"
#include "fuzz_check.h"

namespace {

using namespace lpicing;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void check_file_part(std::string_view file) {
  CHECK(!file.empty() && file.size() <= 1024);
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = file.find('/', start);
    std::string_view comp = file.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    CHECK(!comp.empty() && comp != "." && comp != ".." && comp[0] != '.' && comp.size() <= 255);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (unsigned char c : file) CHECK(c >= 0x20 && c != 0x7f && c != '\\');
}

// `full` must lie under STORE/revisions/<revision>/files/ and name `file` there.
void check_served_path(std::string_view store_prefix, std::string_view revision, std::string_view file,
                       const std::string& full) {
  std::string dir = std::string(store_prefix) + "revisions/" + std::string(revision) + "/files/";
  CHECK(starts_with(full, dir));
  CHECK(starts_with(std::string_view(full).substr(dir.size()), file));
  CHECK(full.find("/../") == std::string::npos && full.find("/./") == std::string::npos);
  CHECK(full.find("//") == std::string::npos);
  CHECK(full.find('\0') == std::string::npos && full.find('\\') == std::string::npos);
  std::string_view tail = std::string_view(full).substr(full.size() - 3);
  CHECK(tail != "/.." && std::string_view(full).substr(full.size() - 2) != "/.");
}

Sha256 sha(std::uint8_t b) {
  Sha256 s{};
  s.fill(b);
  return s;
}

// STORE/revisions/{r1,r2}/INDEX, current -> revisions/r2. Only INDEX files: the
// resolver never opens the assets themselves.
std::string g_store;

void remove_store() {
  if (g_store.empty()) return;
  for (const char* rev : {"r1", "r2"}) {
    std::string dir = g_store + "/revisions/" + rev;
    unlink((dir + "/INDEX").c_str());
    rmdir((dir + "/files").c_str());
    rmdir(dir.c_str());
  }
  rmdir((g_store + "/revisions").c_str());
  unlink((g_store + "/current").c_str());
  rmdir(g_store.c_str());
}

std::string make_store() {
  char tmpl[] = "/tmp/lpweb-fuzz-store.XXXXXX";
  if (!mkdtemp(tmpl)) abort();
  std::string store = tmpl;
  g_store = store;
  std::atexit(remove_store);
  auto write = [](const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) abort();
  };
  mkdir((store + "/revisions").c_str(), 0755);
  for (const char* rev : {"r1", "r2"}) {
    std::string dir = store + "/revisions/" + rev;
    mkdir(dir.c_str(), 0755);
    mkdir((dir + "/files").c_str(), 0755);
    IndexHeader h;
    h.revision = rev;
    h.deployed = 1700000000;
    h.sums_sha256_hex = std::string(64, 'a');
    std::vector<IndexEntry> entries;
    for (const char* p : {"app.css", "css/a.css", "js/app.js", "rev/x.js", "revolution.css", "a b/%2e%2e/c"}) {
      IndexEntry e;
      e.path = p;
      e.size = 10;
      e.sha256 = sha(1);
      e.mtime = 1;
      if (e.path.find(".js") != std::string::npos) e.variants = {{Encoding::gzip, 5, sha(2)}, {Encoding::br, 4, sha(3)}};
      if (e.path == "app.css") e.variants = {{Encoding::gzip, 6, sha(4)}};
      entries.push_back(e);
    }
    write(dir + "/INDEX", serialize_index(h, entries));
  }
  if (symlink("revisions/r2", (store + "/current").c_str()) != 0) abort();
  return store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string store = make_store();
  static IndexCache cache;
  std::string_view path(reinterpret_cast<const char*>(data), size);

  RequestPath r = parse_request_path(path);
  if (r.kind == PathKind::not_found) {
    CHECK(r.file.empty() && r.revision.empty());
  } else {
    check_file_part(r.file);
    // The file part is the tail of the input: nothing was decoded or rewritten.
    CHECK(r.file.data() + r.file.size() == path.data() + path.size());
    if (r.kind == PathKind::versioned) {
      CHECK(is_valid_revision_id(r.revision));
      CHECK(path == "/rev" + std::string(r.revision) + "/" + std::string(r.file));
    } else {
      CHECK(r.revision.empty());
      CHECK(path == "/" + std::string(r.file));
      // rev*/ is reserved for revisions: never a current-revision file.
      CHECK(!(starts_with(r.file, "rev") && r.file.find('/') != std::string_view::npos));
    }
    std::string_view rev = r.kind == PathKind::versioned ? r.revision : std::string_view("r2");
    for (Encoding e : {Encoding::identity, Encoding::br, Encoding::gzip}) {
      check_served_path("/srv/store/", rev, r.file, layout::served_file_path("/srv/store", rev, r.file, e));
      check_served_path("/srv/store/", rev, r.file, layout::served_file_path("/srv/store//", rev, r.file, e));
      check_served_path("/", rev, r.file, layout::served_file_path("/", rev, r.file, e));
    }
  }

  ResolvedFile f = resolve_request(cache, store, path, "gzip;q=0.5, br");
  CHECK(f.status != ResolveStatus::error);  // the store is intact
  if (f.status == ResolveStatus::found) {
    CHECK(r.kind != PathKind::not_found && f.kind == r.kind);
    CHECK(f.entry && f.entry->path == r.file);
    if (r.kind == PathKind::versioned) CHECK(f.revision == r.revision);
    if (r.kind == PathKind::current) CHECK(f.revision == "r2");
    check_served_path(store + "/", f.revision, r.file, f.file);
    if (f.encoding == Encoding::br) CHECK(f.vary && f.file.size() > 3 && f.file.substr(f.file.size() - 3) == ".br");
  }
  return 0;
}
