#include "hserver/common/platform/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <string>

namespace hserver::platform {
namespace {

/// The kernel's /proc/<pid>/stat, opened relative to a /proc descriptor: a user-mode emulator (qemu-user,
/// which runs the 32-bit add-in in tests/x86) answers the paths /proc/self/... and /proc/<own pid>/... itself,
/// with a start time of its own making, and the service compares the add-in's stamp with the kernel's.
std::string read_stat_line(std::uint32_t pid) {
  const int proc = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return {};
  const int fd = ::openat(proc, (std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  ::close(proc);
  if (fd < 0) return {};
  std::string line;
  char buffer[1024];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) line.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return line.substr(0, line.find('\n'));
}

/// Reads state and start time (field 22, clock ticks since boot) from /proc/<pid>/stat. The command name
/// (field 2) may hold spaces and parentheses, so parse from the last ')'.
bool read_stat(std::uint32_t pid, char& state, std::uint64_t& start_time) {
  const std::string line = read_stat_line(pid);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  fields >> state;  // field 3
  std::string skip;
  for (int field = 4; field < 22; ++field) fields >> skip;
  fields >> start_time;  // field 22
  return static_cast<bool>(fields);
}

}  // namespace

shm::ProcessStamp current_process() {
  shm::ProcessStamp stamp{};
  stamp.pid = static_cast<std::uint32_t>(::getpid());
  char state = 0;
  read_stat(stamp.pid, state, stamp.start_time);
  return stamp;
}

shm::ProcessStamp process_stamp(std::uint32_t pid) {
  shm::ProcessStamp stamp{};
  char state = 0;
  if (pid != 0 && read_stat(pid, state, stamp.start_time) && state != 'Z' && state != 'X') stamp.pid = pid;
  return stamp;
}

bool is_alive(const shm::ProcessStamp& stamp) {
  if (stamp.pid == 0) return false;
  char state = 0;
  std::uint64_t start_time = 0;
  if (!read_stat(stamp.pid, state, start_time)) return false;
  return state != 'Z' && state != 'X' && start_time == stamp.start_time;
}

}  // namespace hserver::platform
