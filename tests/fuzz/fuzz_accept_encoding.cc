// Fuzzes Accept-Encoding negotiation against an independent oracle: a small,
// deliberately plain reading of RFC 9110 §12.5.3 and of the contract on
// negotiate_encoding in mod_lpicing/core/serve.h, kept apart from serve.cc's
// code (no shared helpers, another shape). Every input, for every set of available variants, must give the
// oracle's answer; choose_variant must agree with negotiate_encoding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "serve.h"

namespace {

using namespace lpicing;

namespace oracle {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// RFC 9110 §5.6.2: tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos && c != '\0';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  return out;
}

// The list's members: split at commas, except inside a quoted-string (§5.6.4),
// where a backslash escapes the next byte.
std::vector<std::string> members(std::string_view header) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    char c = header[i];
    if (!quoted && c == ',') {
      out.emplace_back();
      continue;
    }
    out.back().push_back(c);
    if (quoted && c == '\\' && i + 1 < header.size()) {
      out.back().push_back(header[++i]);
    } else if (c == '"') {
      quoted = !quoted;
    }
  }
  return out;
}

// §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
std::optional<int> qvalue(std::string_view v) {
  if (v.empty() || v.size() > 5) return std::nullopt;
  if (v.size() > 1 && v[1] != '.') return std::nullopt;
  std::string_view decimals = v.size() > 2 ? v.substr(2) : std::string_view();
  for (char d : decimals)
    if (d < '0' || d > '9' || (v[0] == '1' && d != '0')) return std::nullopt;
  if (v[0] == '1') return 1000;
  if (v[0] != '0') return std::nullopt;
  std::string padded = std::string(decimals) + std::string(3 - decimals.size(), '0');
  return std::stoi(padded);
}

// One member: codings *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] ),
// trimmed of OWS; "q" (any case) at most once and a valid qvalue. The coding in
// lower case and its weight, or nothing when malformed or empty.
std::optional<std::pair<std::string, int>> parse_member(std::string_view m) {
  while (!m.empty() && is_ows(m.front())) m.remove_prefix(1);
  while (!m.empty() && is_ows(m.back())) m.remove_suffix(1);
  std::size_t i = 0;
  while (i < m.size() && is_tchar(m[i])) ++i;
  if (i == 0) return std::nullopt;
  std::string coding = lower(m.substr(0, i));
  int q = 1000;
  bool weighted = false;
  for (;;) {
    while (i < m.size() && is_ows(m[i])) ++i;
    if (i == m.size()) break;
    if (m[i] != ';') return std::nullopt;
    ++i;
    while (i < m.size() && is_ows(m[i])) ++i;
    if (i == m.size() || m[i] == ';') continue;  // an empty parameter
    std::size_t name_at = i;
    while (i < m.size() && is_tchar(m[i])) ++i;
    std::string name = lower(m.substr(name_at, i - name_at));
    if (name.empty() || i == m.size() || m[i] != '=') return std::nullopt;
    ++i;
    std::size_t value_at = i;
    bool quoted_value = i < m.size() && m[i] == '"';
    if (quoted_value) {
      for (++i; i < m.size() && m[i] != '"'; ++i)
        if (m[i] == '\\') ++i;
      if (i >= m.size()) return std::nullopt;  // unterminated
      ++i;
    } else {
      while (i < m.size() && is_tchar(m[i])) ++i;
      if (i == value_at) return std::nullopt;
    }
    if (name != "q") continue;
    std::optional<int> weight = quoted_value ? std::nullopt : qvalue(m.substr(value_at, i - value_at));
    if (!weight || weighted) return std::nullopt;
    q = *weight;
    weighted = true;
  }
  return std::make_pair(coding, q);
}

// Ranks in half-thousandths, so that identity the header leaves out (and no "*"
// covers) ranks 1: acceptable, below every coding listed with q>0 (at least 2).
Encoding choose(std::string_view header, bool have_br, bool have_gzip) {
  std::map<std::string, int> first;  // coding -> q of its first well-formed mention
  for (const std::string& m : members(header)) {
    auto p = parse_member(m);
    if (!p) continue;
    first.emplace(p->first == "x-gzip" ? std::string("gzip") : p->first, p->second);
  }
  auto rank = [&](const std::string& coding) {
    if (auto it = first.find(coding); it != first.end()) return 2 * it->second;
    if (auto star = first.find("*"); star != first.end()) return 2 * star->second;
    return coding == "identity" ? 1 : 0;
  };
  // In order of preference: a later one must rank strictly higher to win.
  std::vector<std::pair<Encoding, int>> candidates;
  if (have_br) candidates.push_back({Encoding::br, rank("br")});
  if (have_gzip) candidates.push_back({Encoding::gzip, rank("gzip")});
  candidates.push_back({Encoding::identity, rank("identity")});
  Encoding best = Encoding::identity;
  int best_rank = 0;  // nothing acceptable: identity anyway
  for (const auto& [encoding, r] : candidates) {
    if (r > best_rank) best = encoding, best_rank = r;
  }
  return best;
}

}  // namespace oracle

const char* name_of(Encoding e) { return e == Encoding::br ? "br" : e == Encoding::gzip ? "gzip" : "identity"; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  for (int have = 0; have < 4; ++have) {
    bool have_br = have & 1, have_gzip = have & 2;
    Encoding e = negotiate_encoding(header, have_br, have_gzip);
    Encoding want = oracle::choose(header, have_br, have_gzip);
    if (e != want) {
      std::fprintf(stderr, "negotiate_encoding chose %s, the oracle %s (br %s, gzip %s) for Accept-Encoding: ",
                   name_of(e), name_of(want), have_br ? "available" : "absent", have_gzip ? "available" : "absent");
      for (char c : header) {
        if (c >= 0x20 && c < 0x7f)
          std::fputc(c, stderr);
        else
          std::fprintf(stderr, "\\x%02x", c & 0xff);
      }
      std::fprintf(stderr, "\n");
    }
    CHECK(e == want);

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
