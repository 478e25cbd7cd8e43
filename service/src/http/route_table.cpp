#include "http/route_table.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace hserver::service {

bool target_has_prefix(std::string_view target, std::string_view prefix) noexcept {
  if (prefix == "/") return target.starts_with('/');
  if (!target.starts_with(prefix)) return false;
  // A whole path segment: "/api" does not take "/apix".
  return target.size() == prefix.size() || target[prefix.size()] == '/' || target[prefix.size()] == '?';
}

std::string target_after_prefix(std::string_view target, std::string_view prefix) {
  if (prefix == "/") return std::string{target};
  const std::string_view rest = target.substr(prefix.size());
  // "/api" alone and "/api?x" leave nothing or a query: the path still starts with '/'.
  if (rest.empty() || rest.front() != '/') return "/" + std::string{rest};
  return std::string{rest};
}

RouteTable::RouteTable(std::vector<RouteConfig> routes) : routes_(std::move(routes)) {
  std::stable_sort(routes_.begin(), routes_.end(), [](const RouteConfig& a, const RouteConfig& b) {
    return a.path_prefix.size() > b.path_prefix.size();
  });
}

const RouteConfig* RouteTable::match(std::string_view target) const noexcept {
  for (const RouteConfig& route : routes_) {
    if (target_has_prefix(target, route.path_prefix)) return &route;
  }
  return nullptr;
}

std::string RouteTable::describe() const {
  std::string text;
  for (const RouteConfig& route : routes_) {
    if (!text.empty()) text += ", ";
    text += fmt::format("'{}' ({})", route.name, route.path_prefix);
  }
  return text;
}

}  // namespace hserver::service
