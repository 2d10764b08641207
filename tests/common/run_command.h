// Running a program from a test without a shell: an argv vector, our environment
// with a few variables set, its output captured. One implementation for the
// integration harness (httpd, the lpicing tool, chromedriver) and the unit tests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace lpweb_test {

// Our environment with `settings` (NAME=value) replacing any variable of the same name.
inline std::vector<std::string> environment_with(const std::vector<std::string>& settings) {
  auto name_of = [](const std::string& var) { return var.substr(0, var.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string var(*e);
    bool replaced = false;
    for (const std::string& s : settings) replaced = replaced || name_of(s) == name_of(var);
    if (!replaced) env.push_back(var);
  }
  env.insert(env.end(), settings.begin(), settings.end());
  return env;
}

struct SpawnOptions {
  std::string output_file;         // when set, stdout and stderr are appended to it
  int out_fd = -1, err_fd = -1;    // else these become stdout and stderr (-1: /dev/null)
  std::vector<std::string> env;    // NAME=value over our environment
  bool own_process_group = false;  // so that one signal reaches it and all it starts
};

// Starts argv[0] (a path: no shell, no PATH search) with stdin from /dev/null.
// Its pid, or -1 with *error set.
inline pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options, std::string* error) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (!options.output_file.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  } else {
    int fds[2] = {options.out_fd, options.err_fd};
    for (int target : {1, 2}) {
      int fd = fds[target - 1];
      if (fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, fd, target);
      } else {
        posix_spawn_file_actions_addopen(&fa, target, "/dev/null", O_WRONLY, 0);
      }
    }
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (options.own_process_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env = environment_with(options.env);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = argv.empty() ? EINVAL : posix_spawn(&pid, args[0], &fa, &attr, args.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *error = "cannot run " + (argv.empty() ? std::string("nothing") : argv[0]) + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

struct CommandResult {
  int exit_code = -1;      // 128+N when killed by signal N
  std::string out;         // stdout
  std::string err;         // stderr
  bool timed_out = false;  // killed (SIGKILL) at the deadline
};

namespace detail {
inline std::string read_from_start(int fd) {
  std::string out;
  char buf[65536];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}
}  // namespace detail

// Runs a program (no shell) and collects its exit code and output; with a
// deadline (seconds > 0), a program still running then is killed. `env`
// (NAME=value) is set on top of our environment.
inline CommandResult run_command(const std::vector<std::string>& argv, double deadline_seconds = 0,
                                 const std::vector<std::string>& env = {}) {
  using Clock = std::chrono::steady_clock;
  CommandResult result;
  // Unnamed files, not pipes: the program's own children may keep its output open.
  SpawnOptions options;
  options.out_fd = memfd_create("lpweb-test-stdout", MFD_CLOEXEC);
  options.err_fd = memfd_create("lpweb-test-stderr", MFD_CLOEXEC);
  options.env = env;
  std::string error;
  pid_t pid = options.out_fd >= 0 && options.err_fd >= 0 ? spawn_process(argv, options, &error) : -1;
  if (pid > 0) {
    int status = 0;
    if (deadline_seconds > 0) {
      auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(deadline_seconds));
      while (waitpid(pid, &status, WNOHANG) == 0) {
        if (Clock::now() >= deadline) {
          kill(pid, SIGKILL);
          waitpid(pid, &status, 0);
          result.timed_out = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    } else {
      waitpid(pid, &status, 0);
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = detail::read_from_start(options.out_fd);
    result.err = detail::read_from_start(options.err_fd);
  } else {
    result.err = error.empty() ? "memfd_create: " + std::string(std::strerror(errno)) : error;
  }
  for (int fd : {options.out_fd, options.err_fd})
    if (fd >= 0) close(fd);
  return result;
}

}  // namespace lpweb_test
