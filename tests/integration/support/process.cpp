#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hserver::test {

using namespace std::chrono_literals;

namespace {

/// argv and the environment (ours plus `extra`) as the null-terminated arrays exec wants; the strings
/// live here, so the arrays stay valid as long as this object.
struct ExecArrays {
  ExecArrays(std::vector<std::string>& argv, const std::vector<std::string>& extra) {
    for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
    environment.insert(environment.end(), extra.begin(), extra.end());
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  std::vector<std::string> environment;
  std::vector<char*> args;
  std::vector<char*> envp;
};

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::vector<std::string> env, const std::string& log_path)
    : log_path_(log_path) {
  ExecArrays exec(argv, env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, exec.args[0], &actions, nullptr, exec.args.data(), exec.envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::to_string(rc));
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::vector<std::string> env, const std::string& log_path,
                           const RunAs& run_as)
    : log_path_(log_path) {
  // Everything the child needs is prepared before fork(): between fork and exec it makes system calls only.
  ExecArrays exec(argv, env);
  const std::vector<gid_t> groups = run_as.groups;
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot fork for " + argv[0]);
  if (pid == 0) {
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log < 0) ::_exit(126);
    ::dup2(log, 1);
    ::dup2(log, 2);
    if (log > 2) ::close(log);
    // Order matters: groups and gid while still root, the uid last (no way back after it).
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(run_as.gid) != 0 || ::setuid(run_as.uid) != 0) {
      static const char message[] = "ChildProcess: cannot change identity\n";
      (void)!::write(2, message, sizeof message - 1);
      ::_exit(126);
    }
    ::execve(exec.args[0], exec.args.data(), exec.envp.data());
    static const char message[] = "ChildProcess: exec failed\n";
    (void)!::write(2, message, sizeof message - 1);
    ::_exit(127);
  }
  pid_ = pid;
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    (void)wait(5s);
  }
}

void ChildProcess::signal(int sig) const {
  ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(10ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

bool ChildProcess::running() {
  return !wait(0ms).has_value();
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(unsigned short port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  struct stat st {};
  while (std::chrono::steady_clock::now() < deadline) {
    if (::stat(path.c_str(), &st) == 0) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace hserver::test
