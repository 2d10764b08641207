// Fuzzes the bundle's text parsers: REVISION, SHA256SUMS and the entry-name rules
// (normalize_entry_name), and checks lpweb::valid_utf8 against utf8_sequence_length.
// The whole input goes to each of them.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "bundle.h"
#include "serve.h"
#include "fuzz_check.h"
#include "text.h"

namespace {

using namespace lpicing;

bool utf8_by_sequences(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = lpweb::utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// README, Bundles: relative, valid UTF-8 without control characters, no '.',
// '..' or empty components, ≤255 bytes a component, ≤1024 bytes a path.
void check_contract_name(std::string_view name) {
  CHECK(!name.empty() && name.size() <= 1024 && name[0] != '/');
  CHECK(utf8_by_sequences(name));
  for (unsigned char c : name) CHECK(c >= 0x20 && c != 0x7f);
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = name.find('/', start);
    std::string_view comp = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    CHECK(!comp.empty() && comp != "." && comp != ".." && comp.size() <= 255);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  CHECK(lpweb::valid_utf8(in) == utf8_by_sequences(in));

  if (lpweb::Result<std::string> revision = parse_revision_file(in)) {
    CHECK(is_valid_revision_id(*revision));
    CHECK(in == *revision || in == *revision + "\n");
  } else {
    CHECK(!revision.error().message.empty());
  }

  auto sums = parse_sha256sums(in);
  if (!sums) {
    CHECK(!sums.error().message.empty() && sums.error().kind == lpweb::Error::Kind::rejected);
  } else {
    std::size_t lines = 0;
    for (char c : in) lines += c == '\n';
    CHECK(sums->size() <= lines + 1);
    for (const auto& [name, digest] : *sums) {
      check_contract_name(name);
      CHECK(name != "SHA256SUMS" && name != "SHA256SUMS.sig");
    }
  }

  for (bool is_dir : {false, true}) {
    lpweb::Result<std::string> normalized = normalize_entry_name(in, is_dir);
    if (!normalized) {
      CHECK(!normalized.error().message.empty());
      continue;
    }
    const std::string& name = *normalized;
    if (name.empty()) {  // the archive root
      CHECK(is_dir && (in == "." || in == "./"));
      continue;
    }
    check_contract_name(name);
    // Only one leading "./" and, for a directory, one trailing '/' are dropped.
    std::string_view rest = in;
    if (rest.substr(0, 2) == "./") rest.remove_prefix(2);
    if (is_dir && !rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    CHECK(rest == name);
  }
  return 0;
}
