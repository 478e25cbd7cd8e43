#include "hserver/common/platform/process.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hserver::platform {
namespace {

/// Reads state and start time (field 22, clock ticks since boot) from /proc/<pid>/stat. The command name
/// (field 2) may hold spaces and parentheses, so parse from the last ')'.
bool read_stat(std::uint32_t pid, char& state, std::uint64_t& start_time) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return false;
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

bool is_alive(const shm::ProcessStamp& stamp) {
  if (stamp.pid == 0) return false;
  char state = 0;
  std::uint64_t start_time = 0;
  if (!read_stat(stamp.pid, state, start_time)) return false;
  return state != 'Z' && state != 'X' && start_time == stamp.start_time;
}

}  // namespace hserver::platform
