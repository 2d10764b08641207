// The --json of the verbs that change a store (deploy, activate, prune): the
// action's own members, then "store", the store report as `lpicing list
// --json` prints it (store_report.h, schema 1), read after the change.
#pragma once

#include <functional>
#include <string>

#include "json_writer.h"
#include "store_report.h"

namespace lpicing_tool {

inline std::string store_change_json(const std::string& store_dir,
                                     const std::function<void(lpweb::JsonWriter&)>& members) {
  lpweb::JsonWriter j;
  j.begin_object();
  members(j);
  j.key("store").begin_object();
  lpicing::write_store_report(j, lpicing::read_store_report(store_dir));
  j.end_object().end_object();
  return j.finish();
}

inline void write_revision_list(lpweb::JsonWriter& j, const char* name, const std::vector<std::string>& revisions) {
  j.key(name).begin_array();
  for (const std::string& r : revisions) j.value(r);
  j.end_array();
}

}  // namespace lpicing_tool
