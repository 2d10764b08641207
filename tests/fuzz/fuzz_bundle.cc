// Fuzzes read_bundle in verify mode: the input is the bundle file (tar, plain or
// compressed), handed over through a memfd so nothing touches the disk. It must
// never crash, and an accepted bundle must respect the (small) limits and hold
// only names the contract allows.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bundle.h"
#include "fuzz_check.h"

namespace {

using namespace lpicing;

constexpr std::uint64_t kMaxEntries = 64;
constexpr std::uint64_t kMaxBytes = 2u << 20;

void check_name(std::string_view name) {
  lpweb::Result<std::string> normalized = normalize_entry_name(name, false);
  CHECK(normalized && *normalized == name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = [] {
    int f = memfd_create("lpweb-fuzz-bundle", MFD_CLOEXEC);
    if (f < 0) abort();
    return f;
  }();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0) abort();
  for (std::size_t done = 0; done < size;) {
    ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) abort();
    done += static_cast<std::size_t>(n);
  }

  BundleOptions options;
  options.limits.max_entries = kMaxEntries;
  options.limits.max_bytes = kMaxBytes;
  options.limits.max_ratio = 50;
  lpweb::Result<Bundle> read = read_bundle(path, options, -1);
  if (!read) {
    CHECK(read.error().kind == lpweb::Error::Kind::rejected);  // verify mode writes nothing
    CHECK(!read.error().what().empty());
    return 0;
  }
  const Bundle& bundle = *read;

  CHECK(is_valid_revision_id(bundle.revision));
  CHECK(bundle.files.size() + bundle.directories.size() + 2 <= kMaxEntries);
  std::uint64_t total = bundle.revision_file.size() + bundle.sums.size() +
                        (bundle.signature ? bundle.signature->size() : 0);
  for (std::size_t i = 0; i < bundle.files.size(); ++i) {
    const BundleFile& f = bundle.files[i];
    check_name(f.path);
    CHECK(!is_metadata_name(f.path));
    if (i > 0) CHECK(bundle.files[i - 1].path < f.path);
    total += f.size;
  }
  for (const BundleDirectory& d : bundle.directories) check_name(d.path);
  CHECK(total <= kMaxBytes);
  CHECK(total <= kRatioFloorBytes || static_cast<double>(total) <= 50.0 * static_cast<double>(size));
  // Every file is listed in SHA256SUMS (and nothing else is).
  auto sums = parse_sha256sums(bundle.sums);
  CHECK(sums && sums->size() == bundle.files.size() + 1);
  return 0;
}
