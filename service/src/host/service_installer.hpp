#pragma once
/// @brief `1chserver install` and `1chserver uninstall`: registering the executable with the OS service
/// manager. Windows: the SCM and an Event Log source; POSIX: not supported (a systemd unit is used).

#include <string>

#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief What `install` registers.
struct InstallOptions {
  std::string name = "1chserver";  ///< service name, also the Event Log source
  std::string config_path;         ///< passed to the service as --config; made absolute; empty: none
  std::string account;             ///< empty: the virtual account "NT SERVICE\<name>" (no password)
};

/// @brief Why install/uninstall failed, and the exit code main returns for it.
struct InstallError {
  int exit_code = 1;  ///< 2 when the OS has no such command (POSIX)
  std::string message;
};

/// @brief Creates the service (quoted binary path of this executable plus --config), its description,
/// delayed auto-start, recovery actions, pre-shutdown timeout, and the Event Log source.
/// Needs administrator rights. @return nothing, or a one-line error.
Status<InstallError> install_service(const InstallOptions& options);

/// @brief Stops the service if it runs (bounded wait), deletes it and its Event Log source.
Status<InstallError> uninstall_service(const std::string& name);

}  // namespace hserver::service
