// Redirect counters: a row per "STATUS EDGE-HOST" key.
#include "counters.h"

#include "json_writer.h"

#include <functional>
#include <vector>

#include "text.h"

namespace lpedge {
namespace {

// Visits each registered row as (edge host, status, count).
void for_each_row(const lpweb::CounterTable& table,
                  const std::function<void(std::string_view, int, std::uint64_t)>& visit) {
  for (std::uint32_t row = 0; row < table.rows_used(); ++row) {
    std::string_view key = table.key(static_cast<int>(row));
    if (key.size() < 5 || key[3] != ' ') continue;
    int status = (key[0] - '0') * 100 + (key[1] - '0') * 10 + (key[2] - '0');
    visit(key.substr(4), status, table.get(static_cast<int>(row), 0));
  }
}

}  // namespace

lpweb::CounterShape redirect_counter_shape() {
  lpweb::CounterShape shape;
  shape.rows = 1024;
  shape.columns = 1;
  shape.key_bytes = 4 + kMaxCountedHostBytes + 1;
  return shape;
}

int redirect_row(lpweb::CounterTable& table, std::string_view edge_host, int status) {
  if (edge_host.empty() || edge_host.size() > kMaxCountedHostBytes || status < 100 || status > 999) return -1;
  std::string key = std::to_string(status);
  key.push_back(' ');
  key.append(edge_host);
  return table.row_for(key);
}

std::string status_json(const lpweb::CounterTable& table, const lpweb::BuildInfo& build) {
  lpweb::JsonWriter json;
  json.begin_object().key("redirects").begin_array();
  std::uint64_t total = 0;
  for_each_row(table, [&](std::string_view host, int status, std::uint64_t count) {
    // Edge hosts are checked DNS names, but the writer escapes anyway: this is an output format.
    json.begin_object().member("edge_host", host).member("status", status).member("count", count).end_object();
    total += count;
  });
  json.end_array().member("total", total);
  write_build_info(json, build);
  json.end_object();
  return json.finish();
}

std::string status_prometheus(const lpweb::CounterTable& table, const lpweb::BuildInfo& build) {
  std::string out =
      "# HELP lpedge_redirects_total Requests to edge hosts redirected to production, by edge host and status.\n"
      "# TYPE lpedge_redirects_total counter\n";
  for_each_row(table, [&](std::string_view host, int status, std::uint64_t count) {
    out.append("lpedge_redirects_total{edge_host=");
    lpweb::append_prometheus_label_value(out, host);
    out.append(",status=\"").append(std::to_string(status)).append("\"} ");
    out.append(std::to_string(count)).append("\n");
  });
  lpweb::append_build_info_prometheus(out, build);
  return out;
}

lpweb::StatusSection status_section(const lpweb::CounterTable& table) {
  lpweb::StatusSection section;
  section.title = "mod_lpedge redirects";
  section.add("LPEdgeVersion", "lpweb version", lpweb::version());
  std::uint64_t total = 0;
  std::vector<lpweb::StatusSection::Row> rows;
  for_each_row(table, [&](std::string_view host, int status, std::uint64_t count) {
    std::string code = std::to_string(status);
    rows.push_back({"LPEdgeRedirects_" + std::string(host) + "_" + code, std::string(host) + " (" + code + ")",
                    std::to_string(count)});
    total += count;
  });
  section.add("LPEdgeRedirectsTotal", "Redirects, all edge hosts", std::to_string(total));
  section.rows.insert(section.rows.end(), rows.begin(), rows.end());
  return section;
}

}  // namespace lpedge
