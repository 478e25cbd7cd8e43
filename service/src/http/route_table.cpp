#include "http/route_table.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "http/path_normalization.hpp"

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
  if (!rest.empty() && rest.front() == '/') return std::string{rest};
  // Built by appending: GCC 12 at -O3 takes "/" + std::string for overlapping copies (-Werror=restrict).
  std::string path;
  path.reserve(rest.size() + 1);
  path += '/';
  path += rest;
  return path;
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

Expected<RouteChoice, std::string> RouteTable::resolve(std::string_view raw_target) const {
  const RouteConfig* raw_route = match(raw_target);
  auto normalized = normalize_target(raw_target);
  if (!normalized) {
    // The original client sends a '/' inside code as %2F. Taking the raw reading grants nothing: the
    // request runs as code on the legacy route the raw path names, under that route's own checks, and
    // whoever passes them may send any code there anyway; no other route's handler sees it.
    if (raw_route != nullptr && raw_route->mode == RouteMode::legacy) {
      return RouteChoice{raw_route, std::string{raw_target}};
    }
    return Unexpected{normalized.error()};
  }
  const RouteConfig* route = match(*normalized);
  if (route == nullptr || route->mode == RouteMode::http) return RouteChoice{route, std::move(*normalized)};
  if (route != raw_route) {
    return Unexpected{
        fmt::format("the path reaches the legacy route '{}' only once normalised: send its prefix {} as is",
                    route->name, route->path_prefix)};
  }
  return RouteChoice{route, std::string{raw_target}};
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
