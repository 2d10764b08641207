// What both modules add to httpd's own status page (mod_status's
// /server-status and /server-status?auto, through its status_hook) and the
// build each status page names: plain data and text here, the hook in
// common/httpd/status_page.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json_writer.h"

namespace lpweb {

// This project's version: CMake's project(VERSION), compiled in.
const char* version();

// The build a status page reports: lpweb's version and the httpd it runs in.
struct BuildInfo {
  std::string httpd;  // "2.4.62", as httpd reports itself at run time
};

// lpweb_build_info{version="…",httpd="…"} 1, with its HELP and TYPE lines.
void append_build_info_prometheus(std::string& out, const BuildInfo& build);
// "build": {"version": "…", "httpd": "…"} as the next member of an open object.
void write_build_info(JsonWriter& json, const BuildInfo& build);

// One table of mod_status's page. In ?auto form each row is "KEY: VALUE"
// (keys without ':' or spaces, as mod_status's own); in HTML a heading and a
// two-column table of LABEL and VALUE, every text escaped.
struct StatusSection {
  struct Row {
    std::string key, label, value;
  };
  std::string title;
  std::vector<Row> rows;

  StatusSection& add(std::string key, std::string label, std::string value) {
    rows.push_back({std::move(key), std::move(label), std::move(value)});
    return *this;
  }
};

std::string status_section_html(const StatusSection& section);
std::string status_section_auto(const StatusSection& section);

}  // namespace lpweb
