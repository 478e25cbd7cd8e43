#pragma once
/// @brief Child processes for multi-process tests: spawn, signal, wait with a bound, and kill on
/// destruction so a failing test never leaves a service or host running.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace hserver::test {

/// @brief Another identity for a child (needs root): its uid, primary gid and supplementary groups.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  ///< empty: none
};

class ChildProcess {
 public:
  /// @brief Start `argv[0]` with `argv`, extra environment `env` ("NAME=value"), stdout+stderr to `log_path`.
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env, const std::string& log_path);
  /// @brief The same, run as `run_as` (the log is opened before the identity changes; the executable must be
  /// readable by the new identity). A failed identity change exits the child with code 126.
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env, const std::string& log_path,
               const RunAs& run_as);
  ~ChildProcess();  ///< SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  /// @brief Wait up to `timeout` for exit; the exit code (128+signal when killed) or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  const std::string& log_path() const { return log_path_; }
  std::string log() const;  ///< what it printed so far

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

/// @brief Resident memory (VmRSS) of process `pid` in KiB; 0 when it is gone.
long rss_kib(pid_t pid);

/// @brief A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

/// @brief Poll until something accepts connections on 127.0.0.1:port, up to `timeout`.
bool wait_for_port(unsigned short port, std::chrono::milliseconds timeout);

/// @brief Poll until `path` exists, up to `timeout`.
bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace hserver::test
