// Redirect counters per (edge host, status), summed over every httpd child:
// rows of the common shared counter table (common/counter_table.h), whose
// keys only the parent registers, and their two status outputs.
#pragma once

#include <string>
#include <string_view>

#include "counter_table.h"
#include "status_section.h"

namespace lpedge {

inline constexpr std::size_t kMaxCountedHostBytes = 255;

// 1024 (edge host, status) rows of one counter each.
lpweb::CounterShape redirect_counter_shape();

// Parent only: the row of (edge host, status), registered when new; -1 when
// the table is full or the host is longer than kMaxCountedHostBytes.
int redirect_row(lpweb::CounterTable& table, std::string_view edge_host, int status);

// The counters as JSON ({"redirects":[{"edge_host":..,"status":..,"count":..}],"total":N,
// "build":{..}}) and as Prometheus text exposition format (lpedge_redirects_total,
// lpweb_build_info), rows in registration order.
std::string status_json(const lpweb::CounterTable& table, const lpweb::BuildInfo& build);
std::string status_prometheus(const lpweb::CounterTable& table, const lpweb::BuildInfo& build);

// mod_status's section: the version, the total, then one row per (edge host,
// status): LPEdgeRedirectsTotal, LPEdgeRedirects_HOST_STATUS.
lpweb::StatusSection status_section(const lpweb::CounterTable& table);

}  // namespace lpedge
