#pragma once
/// @brief The routes that share one listening address, told apart by path prefix. Pure and immutable:
/// built once at start, then read by every session of the listener without locks.

#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace hserver::service {

/// @brief True when `target` lies under `prefix`: the prefix "/" takes every target; "/api" takes
/// "/api", "/api/...", "/api?..." but not "/apix". Compared byte for byte with the raw target (no
/// percent-decoding: prefixes are limited to unreserved characters and '/', see config.cpp).
bool target_has_prefix(std::string_view target, std::string_view prefix) noexcept;

/// @brief What is left of `target` once `prefix` is taken off, always starting with '/' (so a legacy
/// route decodes the code after its prefix the way a root route decodes the whole path).
/// Requires target_has_prefix(target, prefix).
std::string target_after_prefix(std::string_view target, std::string_view prefix);

class RouteTable {
 public:
  /// @brief `routes` must share one address and have distinct prefixes (config validation ensures it).
  explicit RouteTable(std::vector<RouteConfig> routes);

  /// @brief The route with the longest prefix that `target` lies under, or nullptr (the caller answers 404).
  const RouteConfig* match(std::string_view target) const noexcept;

  /// @brief Longest prefix first.
  const std::vector<RouteConfig>& routes() const noexcept { return routes_; }

  /// @brief For logs and the 404 text: "'api' (/api), 'legacy' (/)".
  std::string describe() const;

 private:
  std::vector<RouteConfig> routes_;
};

}  // namespace hserver::service
