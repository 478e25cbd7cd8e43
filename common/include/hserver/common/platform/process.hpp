#pragma once
/// @brief Process identity and liveness, safe against pid reuse. One implementation per OS
/// (common/platform/<os>/process.cpp).

#include "hserver/common/shm/layout.hpp"

namespace hserver::platform {

/// @brief This process's pid and OS start stamp.
shm::ProcessStamp current_process();

/// @brief The stamp of another running process by pid (POSIX: pids the kernel reported, e.g. SO_PEERCRED),
/// or a stamp with pid 0 when it is not running.
shm::ProcessStamp process_stamp(std::uint32_t pid);

/// @brief True while the process that `stamp` describes still runs: the pid exists, is not a zombie, and
/// has the same start stamp (a reused pid has another).
bool is_alive(const shm::ProcessStamp& stamp);

}  // namespace hserver::platform
