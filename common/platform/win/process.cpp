// Windows process identity: pid + creation FILETIME (100 ns units since 1601), which a reused pid cannot
// share with the original.
#include "hserver/common/platform/process.hpp"

#include "win_util.hpp"

namespace hserver::platform {
namespace {

bool creation_time(HANDLE process, std::uint64_t& out) {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return false;
  out = (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
  return true;
}

}  // namespace

shm::ProcessStamp current_process() {
  shm::ProcessStamp stamp{};
  stamp.pid = static_cast<std::uint32_t>(::GetCurrentProcessId());
  creation_time(::GetCurrentProcess(), stamp.start_time);
  return stamp;
}

shm::ProcessStamp process_stamp(std::uint32_t pid) {
  shm::ProcessStamp stamp{};
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return stamp;
  win::UniqueHandle guard(process);
  DWORD code = 0;
  if (::GetExitCodeProcess(process, &code) && code == STILL_ACTIVE && creation_time(process, stamp.start_time)) {
    stamp.pid = pid;
  }
  return stamp;
}

bool is_alive(const shm::ProcessStamp& stamp) {
  if (stamp.pid == 0) return false;
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(stamp.pid));
  if (process == nullptr) {
    // Access denied means the pid exists but belongs to an account we may not query (a least-privilege
    // service looking at a 1C user's process): report it alive and let the heartbeats decide.
    return ::GetLastError() == ERROR_ACCESS_DENIED;
  }
  win::UniqueHandle guard(process);
  DWORD code = 0;
  if (!::GetExitCodeProcess(process, &code) || code != STILL_ACTIVE) return false;
  std::uint64_t created = 0;
  return creation_time(process, created) && created == stamp.start_time;
}

}  // namespace hserver::platform
