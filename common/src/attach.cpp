// The route lookup and the texts 1C sees when attaching, shared by every way of attaching (the Linux
// attach socket, the Windows registry) and by both sides (the service words its refusals with them).
#include "hserver/common/shm/attach.hpp"

#include <cstdlib>

namespace hserver::shm {

bool is_valid_object_word(const std::string& word, bool allow_dot) {
  if (word.empty() || word.size() >= kRouteNameBytes) return false;
  for (const char c : word) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || (allow_dot && c == '.');
    if (!ok) return false;
  }
  return true;
}

std::string default_prefix() {
  const char* env = std::getenv("HSERVER_SHM_PREFIX");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("1chserver");
}

std::string default_attach_socket(const std::string& prefix) {
  const char* env = std::getenv("HSERVER_ATTACH_SOCKET");
  return env != nullptr && *env != '\0' ? std::string(env) : "/run/1chserver/" + prefix + ".attach";
}

Expected<std::uint32_t, std::string> find_route(const std::vector<RouteInfo>& routes, std::optional<std::uint16_t> port,
                                                const std::string& name) {
  std::optional<std::uint32_t> route;
  std::string same_port;  // names of every route on `port`: attaching by port must not guess between them
  std::size_t matches = 0;
  for (std::uint32_t i = 0; i < routes.size(); ++i) {
    if (port ? routes[i].port == *port : routes[i].name == name) {
      if (!route) route = i;
      ++matches;
      same_port += (same_port.empty() ? "'" : ", '") + routes[i].name + "'";
    }
  }
  if (port && matches > 1) {
    return Unexpected{"на порту " + std::to_string(*port) + " несколько маршрутов (" + same_port +
                      "): подключайтесь по имени маршрута / port " + std::to_string(*port) + " has several routes (" +
                      same_port + "): attach by route name"};
  }
  if (!route) {
    std::string served;
    for (const auto& r : routes)
      served += (served.empty() ? "" : ", ") + r.name + " (port " + std::to_string(r.port) + ")";
    return Unexpected{"служба не обслуживает " + (port ? "порт " + std::to_string(*port) : "маршрут '" + name + "'") +
                      " / the service has no route " +
                      (port ? "on port " + std::to_string(*port) : "named '" + name + "'") + "; it serves: " + served};
  }
  return *route;
}

std::string service_not_running_text(const std::string& detail) {
  return "служба 1chserver не запущена / the 1chserver service is not running (" + detail + ")";
}

std::string access_denied_text(const std::string& detail) {
  return "нет доступа к службе 1chserver: пользователь 1С не входит в группу shm.posix_group "
         "(Windows: shm.windows_users) / access denied to the 1chserver service: this 1C user is "
         "not in its shm.posix_group (Windows: shm.windows_users) (" +
         detail + ")";
}

std::string version_mismatch_text(std::uint32_t service_layout) {
  return "версия компоненты не совпадает со службой / add-in and service versions differ: the service "
         "uses shared-memory layout " +
         std::to_string(service_layout) + ", this add-in layout " + std::to_string(kLayoutVersion) +
         "; install matching versions";
}

std::string slots_taken_text(const std::string& route, std::uint32_t slots) {
  return "к маршруту '" + route + "' уже подключено максимальное число рабочих сеансов / route '" + route +
         "' has all " + std::to_string(slots) + " worker slots taken";
}

std::string service_stopping_text() {
  return "the service refused the attach: it is stopping";
}

}  // namespace hserver::shm
