#pragma once
/// @brief Process identity and liveness, safe against pid reuse. One implementation per OS
/// (common/platform/<os>/process.cpp).

#include "hserver/common/shm/layout.hpp"

namespace hserver::platform {

/// @brief This process's pid and OS start stamp.
shm::ProcessStamp current_process();

/// @brief True while the process that `stamp` describes still runs: the pid exists, is not a zombie, and
/// has the same start stamp (a reused pid has another).
bool is_alive(const shm::ProcessStamp& stamp);

}  // namespace hserver::platform
