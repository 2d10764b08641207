// The project's own files, read at test run time from LPWEB_SOURCE_DIR, for
// the checks that scan the sources (format strings, log tags).
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace lpweb_test {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file under the given directories of the source tree whose name ends in
// one of `extensions` (or is named exactly so, e.g. "CMakeLists.txt"), sorted.
inline std::vector<std::filesystem::path> files_under(std::initializer_list<const char*> dirs,
                                                      const std::vector<std::string>& extensions) {
  std::vector<std::filesystem::path> files;
  for (const char* dir : dirs) {
    std::filesystem::path root = std::filesystem::path(LPWEB_SOURCE_DIR) / dir;
    if (std::filesystem::is_regular_file(root)) {
      files.push_back(root);
      continue;
    }
    if (!std::filesystem::is_directory(root)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      std::string name = e.path().filename().string();
      for (const std::string& x : extensions) {
        if (name.size() >= x.size() && name.compare(name.size() - x.size(), x.size(), x) == 0) {
          files.push_back(e.path());
          break;
        }
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every C and C++ file of the product: the two modules, the tool and the common layer.
inline std::vector<std::filesystem::path> product_sources() {
  return files_under({"mod_lpedge", "mod_lpicing", "common"}, {".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp"});
}

inline std::string relative_name(const std::filesystem::path& path) {
  return std::filesystem::relative(path, LPWEB_SOURCE_DIR).generic_string();
}

}  // namespace lpweb_test
