// mod_status sections and the build info (status_section.h).
#include "status_section.h"

#include "text.h"

#ifndef LPWEB_VERSION
#error "LPWEB_VERSION comes from CMake's project(VERSION) (common/CMakeLists.txt)"
#endif

namespace lpweb {
namespace {

// A key keeps to [A-Za-z0-9_.-]: anything else would break "KEY: VALUE".
void append_auto_key(std::string& out, std::string_view key) {
  for (char c : key) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                 c == '.' || c == '-';
    out.push_back(plain ? c : '_');
  }
}

// A value stays on its line.
void append_auto_value(std::string& out, std::string_view value) {
  for (char c : value) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
}

}  // namespace

const char* version() { return LPWEB_VERSION; }

void append_build_info_prometheus(std::string& out, const BuildInfo& build) {
  out.append("# HELP lpweb_build_info The lpweb version of this module and the httpd version it runs in.\n");
  out.append("# TYPE lpweb_build_info gauge\n");
  out.append("lpweb_build_info{version=");
  append_prometheus_label_value(out, version());
  out.append(",httpd=");
  append_prometheus_label_value(out, build.httpd);
  out.append("} 1\n");
}

void write_build_info(JsonWriter& json, const BuildInfo& build) {
  json.key("build").begin_object().member("version", version()).member("httpd", build.httpd).end_object();
}

std::string status_section_html(const StatusSection& section) {
  std::string out = "<hr>\n<h2>";
  append_html_escaped(out, section.title);
  out.append("</h2>\n<table>\n");
  for (const StatusSection::Row& row : section.rows) {
    out.append("<tr><th align=\"left\">");
    append_html_escaped(out, row.label);
    out.append("</th><td>");
    append_html_escaped(out, row.value);
    out.append("</td></tr>\n");
  }
  out.append("</table>\n");
  return out;
}

std::string status_section_auto(const StatusSection& section) {
  std::string out;
  for (const StatusSection::Row& row : section.rows) {
    append_auto_key(out, row.key);
    out.append(": ");
    append_auto_value(out, row.value);
    out.push_back('\n');
  }
  return out;
}

}  // namespace lpweb
