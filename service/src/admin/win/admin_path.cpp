#include "admin/admin_path.hpp"

namespace hserver::service {

// Windows: the admin channel is a named pipe (DACL: SYSTEM, Administrators, the service's account; see
// admin_server.cpp); its name follows the shm prefix as the POSIX socket's does.
std::string admin_socket_path(const std::string& configured, const std::string& shm_prefix) {
  if (!configured.empty()) return configured;
  return "\\\\.\\pipe\\" + shm_prefix + ".admin";
}

}  // namespace hserver::service
