#pragma once
/// @brief The routes that share one listening address, told apart by path prefix. Pure and immutable:
/// built once at start, then read by every session of the listener without locks.

#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief True when `target` lies under `prefix`: the prefix "/" takes every target; "/api" takes
/// "/api", "/api/...", "/api?..." but not "/apix". Compared byte for byte: RouteTable::resolve gives it
/// normalised targets (path_normalization.hpp), and prefixes are normal already (unreserved characters
/// and '/', no empty or dot segments, see config.cpp).
bool target_has_prefix(std::string_view target, std::string_view prefix) noexcept;

/// @brief What is left of `target` once `prefix` is taken off, always starting with '/' (so a legacy
/// route decodes the code after its prefix the way a root route decodes the whole path).
/// Requires target_has_prefix(target, prefix).
std::string target_after_prefix(std::string_view target, std::string_view prefix);

/// @brief The route a request goes to and the target it passes on (to 1C, or to the legacy decoder).
struct RouteChoice {
  const RouteConfig* route = nullptr;  ///< nullptr: no route serves the path (404)
  std::string target;
};

class RouteTable {
 public:
  /// @brief `routes` must share one address and have distinct prefixes (config validation ensures it).
  explicit RouteTable(std::vector<RouteConfig> routes);

  /// @brief The route with the longest prefix that `target` lies under, or nullptr (the caller answers 404).
  const RouteConfig* match(std::string_view target) const noexcept;

  /// @brief Chooses the route of a raw request target on its normalised form (normalize_target), so that
  /// "//api/x", "/./api/x", "/x/../api/x" and "/%61pi/x" all reach the route of "/api" with "/api/x".
  /// Http routes get the normalised target. A legacy route's path is 1C code, not a resource path:
  /// removing dot segments or empty segments would change the code ("//" starts a comment), so it gets
  /// the raw target, and only when both readings agree: the raw target must name the same route as its
  /// normalised form. A target the normaliser refuses (an encoded '/', '\', NUL, a climb above the root)
  /// still reaches a legacy route when the raw target names it (the original client sends a '/' in code
  /// as %2F; the code runs on that route under its own checks, no other route sees it); otherwise it is
  /// refused.
  /// @return the choice, or the reason for a 400.
  Expected<RouteChoice, std::string> resolve(std::string_view raw_target) const;

  /// @brief Longest prefix first.
  const std::vector<RouteConfig>& routes() const noexcept { return routes_; }

  /// @brief For logs and the 404 text: "'api' (/api), 'legacy' (/)".
  std::string describe() const;

 private:
  std::vector<RouteConfig> routes_;
};

}  // namespace hserver::service
