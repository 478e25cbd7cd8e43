#pragma once
/// @brief Windows: `1chserverctl install` / `uninstall` run `1chserver.exe install|uninstall ...`, the
/// service's own installer, found next to 1chserverctl.exe: one installer, and the service registered is
/// the service's executable, never 1chserverctl.

#include <string>
#include <vector>

namespace hserver::ctl {

/// @brief Runs 1chserver.exe (next to this program) with `arguments`, on this console, and waits for it.
/// Arguments are passed on as they came (the process code page). @return its exit code, or 1 with a
/// message on stderr when it cannot be started.
int run_service_executable(const std::vector<std::string>& arguments);

}  // namespace hserver::ctl
