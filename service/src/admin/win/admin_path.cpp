#include "admin/admin_path.hpp"

namespace hserver::service {

// Windows: the admin channel will be a named pipe (with a DACL for Administrators); its name follows the
// shm prefix as the POSIX socket's does.
std::string admin_socket_path(const std::string& configured, const std::string& shm_prefix) {
  if (!configured.empty()) return configured;
  return "\\\\.\\pipe\\" + shm_prefix + ".admin";
}

}  // namespace hserver::service
