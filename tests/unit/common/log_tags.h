// A check of the project's log tags (LPE0010, LPI0312...) against their
// registry, docs/log-tags.md: every tag in the product sources registered in
// its range, written at one place (or at the places the registry allows, in
// one file), logged at the level registered, and every registered tag used.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "format_check.h"
#include "text.h"

namespace lpweb_test {

// One place a tag is written in a source file.
struct TagUse {
  std::string tag;
  std::string file;
  int line = 0;
  std::set<std::string> levels;  // APLOG_ levels named by the statement before the tag, as registry words
};

struct RegisteredTag {
  std::string tag;
  std::string range;             // "LPI03": the section it is listed under
  std::set<std::string> levels;  // the level cell's level words
  std::string meaning;
  int line = 0;                  // in the registry
};

struct MultiPlaceTag {
  int places = 0;
  std::string file;
};

struct TagRegistry {
  std::vector<RegisteredTag> tags;
  std::map<std::string, MultiPlaceTag> multi;  // the tags allowed at more than one place
  std::vector<std::string> problems;           // rows the parser could not place
};

namespace log_tags_detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Offsets of the tags in `text`: LPE or LPI and four digits, standing alone.
inline std::vector<std::size_t> tag_offsets(std::string_view text) {
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i + 7 <= text.size(); ++i) {
    if (text[i] != 'L' || text[i + 1] != 'P' || (text[i + 2] != 'E' && text[i + 2] != 'I')) continue;
    if (i > 0 && is_word(text[i - 1])) continue;
    if (!is_digit(text[i + 3]) || !is_digit(text[i + 4]) || !is_digit(text[i + 5]) || !is_digit(text[i + 6])) continue;
    if (i + 7 < text.size() && is_word(text[i + 7])) continue;
    at.push_back(i);
  }
  return at;
}

// httpd's level macros in the registry's words.
inline const std::map<std::string, std::string>& level_words() {
  static const std::map<std::string, std::string> words = {
      {"APLOG_EMERG", "emerg"},   {"APLOG_ALERT", "alert"},   {"APLOG_CRIT", "crit"},     {"APLOG_ERR", "error"},
      {"APLOG_WARNING", "warn"},  {"APLOG_NOTICE", "notice"}, {"APLOG_INFO", "info"},     {"APLOG_DEBUG", "debug"},
      {"APLOG_TRACE1", "trace1"}, {"APLOG_TRACE2", "trace2"}, {"APLOG_TRACE3", "trace3"}, {"APLOG_TRACE4", "trace4"},
      {"APLOG_TRACE5", "trace5"}, {"APLOG_TRACE6", "trace6"}, {"APLOG_TRACE7", "trace7"}, {"APLOG_TRACE8", "trace8"}};
  return words;
}

inline std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// The cells of a Markdown table row "| a | b |" (no escaped pipes in this file).
inline std::vector<std::string> cells(std::string_view row) {
  std::vector<std::string> out;
  std::size_t start = row.find('|');
  while (start != std::string_view::npos) {
    std::size_t end = row.find('|', start + 1);
    if (end == std::string_view::npos) break;
    out.push_back(trim(row.substr(start + 1, end - start - 1)));
    start = end;
  }
  return out;
}

inline std::string unquote(const std::string& cell) {
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') return cell.substr(1, cell.size() - 2);
  return cell;
}

inline bool is_tag(const std::string& s) { return s.size() == 7 && tag_offsets(s) == std::vector<std::size_t>{0}; }

}  // namespace log_tags_detail

// The tags written in one C/C++ source (comments do not count), each with the
// levels its statement names: the APLOG_ macros between the statement's start
// and the literal holding the tag (`ap_log_rerror(APLOG_MARK, gone ? APLOG_DEBUG
// : APLOG_ERR, ...`, or `level = APLOG_NOTICE, tag = "LPI0310"`). None named:
// the level is set elsewhere, and is not checked.
inline std::vector<TagUse> find_tag_uses(std::string_view source, const std::string& file) {
  using namespace log_tags_detail;
  const std::string src = format_check_detail::without_comments(source);
  std::vector<TagUse> uses;
  std::size_t statement = 0;  // where the current statement started
  int line = 1;
  const std::size_t n = src.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = src[i];
    if (c == '\n') ++line;
    if (c == ';' || c == '{' || c == '}') {
      statement = i + 1;
    } else if (c == '\'' && !(i > 0 && std::isalnum(static_cast<unsigned char>(src[i - 1])))) {
      ++i;
      while (i < n && src[i] != '\'' && src[i] != '\n') i += src[i] == '\\' ? 2 : 1;
    } else if (c == '"') {
      std::size_t end = i + 1;
      while (end < n && src[end] != '"' && src[end] != '\n') end += src[end] == '\\' ? 2 : 1;
      std::string_view literal(src.data() + i, std::min(end, n) - i);
      std::vector<std::size_t> found = tag_offsets(literal);
      if (!found.empty()) {
        std::set<std::string> levels;
        std::string_view before(src.data() + statement, i - statement);
        for (std::size_t p = before.find("APLOG_"); p != std::string_view::npos; p = before.find("APLOG_", p + 1)) {
          if (p > 0 && is_word(before[p - 1])) continue;
          std::size_t e = p;
          while (e < before.size() && is_word(before[e])) ++e;
          auto w = level_words().find(std::string(before.substr(p, e - p)));
          if (w != level_words().end()) levels.insert(w->second);
        }
        for (std::size_t f : found) uses.push_back({std::string(literal.substr(f, 7)), file, line, levels});
      }
      i = std::min(end, n - 1);
    }
  }
  return uses;
}

// Reads docs/log-tags.md: a "## LPI03xx: ..." heading opens a range whose
// table rows "| `LPI0312` | level | meaning |" register tags; the table under
// "## Tags written at more than one place" has rows "| `TAG` | N | `file` | why |".
inline TagRegistry parse_tag_registry(std::string_view text) {
  using namespace log_tags_detail;
  TagRegistry reg;
  std::string range;
  bool multi = false;
  int line = 0;
  for (std::string_view row : lpweb::split(text, '\n')) {
    ++line;
    if (row.rfind("## ", 0) == 0) {
      std::string heading = trim(row.substr(3));
      multi = heading == "Tags written at more than one place";
      range.clear();
      if (heading.size() >= 8 && heading.compare(5, 3, "xx:") == 0 && is_tag(heading.substr(0, 5) + "00"))
        range = heading.substr(0, 5);
      continue;
    }
    if (row.rfind("|", 0) != 0) continue;
    std::vector<std::string> c = cells(row);
    if (c.empty() || !is_tag(unquote(c[0]))) continue;
    std::string tag = unquote(c[0]);
    std::string where = "docs/log-tags.md:" + std::to_string(line) + ": ";
    if (multi) {
      MultiPlaceTag m;
      if (c.size() >= 3) {
        m.places = std::atoi(c[1].c_str());
        m.file = unquote(c[2]);
      }
      if (m.places < 2 || m.file.empty())
        reg.problems.push_back(where + tag + ": a row of more places needs a count of 2 or more and one file");
      else if (!reg.multi.emplace(tag, m).second)
        reg.problems.push_back(where + tag + " is listed twice under more places");
      continue;
    }
    if (range.empty() || c.size() < 3) {
      reg.problems.push_back(where + tag + " is not in a range's table (\"## LPx00xx: ...\", tag | level | meaning)");
      continue;
    }
    RegisteredTag t{tag, range, {}, c[2], line};
    std::string cell = c[1];
    for (std::size_t p = 0; p < cell.size();) {
      std::size_t e = p;
      while (e < cell.size() && std::isalnum(static_cast<unsigned char>(cell[e]))) ++e;
      if (e == p) {
        ++p;
        continue;
      }
      for (const auto& [macro, word] : level_words())
        if (cell.compare(p, e - p, word) == 0) t.levels.insert(word);
      p = e;
    }
    reg.tags.push_back(t);
  }
  return reg;
}

// What is wrong with the tags written in `uses` (all product sources' uses)
// against `reg`, one line each; empty when all is well.
inline std::vector<std::string> check_log_tags(const TagRegistry& reg, const std::vector<TagUse>& uses) {
  std::vector<std::string> problems = reg.problems;
  std::map<std::string, const RegisteredTag*> registered;
  for (const RegisteredTag& t : reg.tags) {
    std::string where = "docs/log-tags.md:" + std::to_string(t.line) + ": " + t.tag;
    if (!registered.emplace(t.tag, &t).second) problems.push_back(where + " is registered twice");
    if (t.tag.compare(0, 5, t.range) != 0) problems.push_back(where + " is listed under range " + t.range + "xx");
    if (t.levels.empty()) problems.push_back(where + " has no level (emerg, crit, error, warn, notice, info, debug)");
    if (t.meaning.empty()) problems.push_back(where + " has no meaning");
  }
  for (const auto& [tag, m] : reg.multi)
    if (!registered.count(tag)) problems.push_back("docs/log-tags.md: " + tag + " has more places but no row of its own");

  std::map<std::string, std::vector<const TagUse*>> by_tag;
  for (const TagUse& u : uses) by_tag[u.tag].push_back(&u);
  for (const auto& [tag, at] : by_tag) {
    auto places = [&] {
      std::string s;
      for (const TagUse* u : at) s += " " + u->file + ":" + std::to_string(u->line);
      return s;
    };
    auto r = registered.find(tag);
    if (r == registered.end()) {
      problems.push_back(tag + " is not registered in docs/log-tags.md, used at" + places());
      continue;
    }
    auto m = reg.multi.find(tag);
    if (m == reg.multi.end()) {
      if (at.size() > 1)
        problems.push_back(tag + " is written at " + std::to_string(at.size()) + " places (one tag, one place):" +
                           places());
    } else {
      bool one_file = true;
      for (const TagUse* u : at) one_file = one_file && u->file == m->second.file;
      if (static_cast<int>(at.size()) != m->second.places || !one_file)
        problems.push_back(tag + " is registered at " + std::to_string(m->second.places) + " places in " +
                           m->second.file + ", written at" + places());
    }
    for (const TagUse* u : at) {
      if (u->levels.empty() || u->levels == r->second->levels) continue;
      std::string logged, listed;
      for (const std::string& l : u->levels) logged += (logged.empty() ? "" : ", ") + l;
      for (const std::string& l : r->second->levels) listed += (listed.empty() ? "" : ", ") + l;
      problems.push_back(tag + " at " + u->file + ":" + std::to_string(u->line) + " logs at " + logged +
                         ", registered as " + listed);
    }
  }
  for (const RegisteredTag& t : reg.tags)
    if (!by_tag.count(t.tag))
      problems.push_back("docs/log-tags.md:" + std::to_string(t.line) + ": " + t.tag +
                         " is registered but no longer used in the sources: delete its row");
  return problems;
}

}  // namespace lpweb_test
