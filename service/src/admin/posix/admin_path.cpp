#include "admin/admin_path.hpp"

#include <unistd.h>

#include <cstdlib>

namespace hserver::service {

std::string admin_socket_path(const std::string& configured, const std::string& shm_prefix) {
  if (!configured.empty()) return configured;
  if (::geteuid() == 0) return "/run/1chserver/" + shm_prefix + ".sock";
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  const std::string base = runtime != nullptr && *runtime != '\0' ? runtime : "/tmp";
  return base + "/1chserver-" + std::to_string(::geteuid()) + "/" + shm_prefix + ".sock";
}

}  // namespace hserver::service
