#pragma once
/// @brief Where the admin channel listens when the config does not say: the service and 1chserverctl
/// compute it the same way from the shared-memory prefix, so side-by-side services do not collide.

#include <string>

namespace hserver::service {

/// @brief `configured` when not empty; otherwise, POSIX: /run/1chserver/<prefix>.sock for root (the
/// systemd service), or $XDG_RUNTIME_DIR (else /tmp)/1chserver-<uid>/<prefix>.sock for anyone else;
/// Windows: \\.\pipe\<prefix>.admin. One implementation per OS.
std::string admin_socket_path(const std::string& configured, const std::string& shm_prefix);

}  // namespace hserver::service
