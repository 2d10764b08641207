// What the lpicing command's verbs share (tool/main.cc parses, each cmd_*.cc
// is one verb): the parsed arguments, the exit codes, and the two ways out.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace lpicing_tool {

constexpr int kExitUsage = 64;
constexpr int kExitNotReady = 4;  // wait: not every server has the revision (README, lpicing wait)

struct Args {
  std::string verb;
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
};

// The usage text after a one-line problem on stderr: kExitUsage.
int usage(const std::string& problem);
// "lpicing: MESSAGE" on stderr: `code`.
int fail(int code, const std::string& message);

// `lpicing wait` (tool/cmd_wait.cc).
int cmd_wait(const Args& args);

}  // namespace lpicing_tool
