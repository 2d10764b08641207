// Fuzzes Accept-Encoding negotiation: whatever the header, the chosen coding is
// one that is available (identity always is), and choose_variant agrees.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve.h"
#include "fuzz_check.h"

namespace {

using namespace lpicing;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  for (int have = 0; have < 4; ++have) {
    bool have_br = have & 1, have_gzip = have & 2;
    Encoding e = negotiate_encoding(header, have_br, have_gzip);
    CHECK(e == Encoding::identity || e == Encoding::br || e == Encoding::gzip);
    if (e == Encoding::br) CHECK(have_br);
    if (e == Encoding::gzip) CHECK(have_gzip);

    IndexEntry entry;
    if (have_br) entry.variants.push_back({Encoding::br, 1, {}});
    if (have_gzip) entry.variants.push_back({Encoding::gzip, 2, {}});
    const Variant* v = choose_variant(entry, header);
    if (e == Encoding::identity) {
      CHECK(v == nullptr);
    } else {
      CHECK(v != nullptr && v->encoding == e);
    }
    CHECK(content_encoding(e) == (e == Encoding::br ? "br" : e == Encoding::gzip ? "gzip" : ""));
  }
  // An absent or empty header means identity.
  if (size == 0) CHECK(negotiate_encoding(header, true, true) == Encoding::identity);
  return 0;
}
