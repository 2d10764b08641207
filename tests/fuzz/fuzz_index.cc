// Fuzzes the INDEX parser: accepted text round-trips through serialize_index to
// identical bytes (one value, one spelling), and every entry is found by its path.
// Also checks append_json_string (used by the status handler) on the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "index.h"
#include "serve.h"
#include "fuzz_check.h"
#include "text.h"

namespace {

using namespace lpicing;

// A JSON string literal: quoted, valid UTF-8, no raw control bytes, every
// backslash starting a known escape and every quote escaped.
void check_json_string(std::string_view s) {
  CHECK(s.size() >= 2 && s.front() == '"' && s.back() == '"');
  std::string_view body = s.substr(1, s.size() - 2);
  for (std::size_t i = 0; i < body.size();) {
    unsigned char c = static_cast<unsigned char>(body[i]);
    CHECK(c >= 0x20 && c != 0x7f && c != '"');
    if (c == '\\') {
      CHECK(i + 1 < body.size());
      char e = body[i + 1];
      if (e == 'u') {
        CHECK(i + 6 <= body.size());
        for (std::size_t k = i + 2; k < i + 6; ++k)
          CHECK((body[k] >= '0' && body[k] <= '9') || (body[k] >= 'a' && body[k] <= 'f'));
        i += 6;
      } else {
        CHECK(e == '"' || e == '\\');
        i += 2;
      }
      continue;
    }
    std::size_t n = lpweb::utf8_sequence_length(body, i);
    CHECK(n > 0);
    i += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string json;
  lpweb::append_json_string(json, text);
  check_json_string(json);

  auto parsed = RevisionIndex::parse(text);
  if (!parsed) {
    CHECK(!parsed.error().message.empty());
    return 0;
  }
  const std::unique_ptr<RevisionIndex>& index = *parsed;
  const IndexHeader& h = index->header();
  CHECK(is_valid_revision_id(h.revision));
  CHECK(h.file_count == index->entries().size());
  for (const IndexEntry& e : index->entries()) CHECK(index->find(e.path) == &e);
  // serialize_index throws for what parse() should have refused: a crash here too.
  std::string again = serialize_index(h, index->entries());
  CHECK(again == text);
  return 0;
}
