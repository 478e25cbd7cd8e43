#pragma once
/// @brief The admin protocol, independent of its transport: one JSON object per line in, one per line
/// out. Requests: {"command": "status" | "pause" | "resume" | "drain", "route": "<name>" (absent or
/// empty: every route), "timeout_ms": <drain timeout>}. Answers: {"ok": true, "routes": [...]} (drain
/// adds "drained": true|false) or {"ok": false, "error": "<why>"}. Fields are only ever added, never
/// renamed: scripts read `1chserverctl status --json`.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "dispatch/dispatcher.hpp"

namespace hserver::service {

/// @brief Carry out one request line against the dispatcher; `reply` is called exactly once (for drain,
/// later, from an I/O thread).
void handle_admin_line(std::string_view line, Dispatcher& dispatcher, std::function<void(std::string)> reply);

/// @brief The routes as the admin protocol and `1chserverctl status --json` show them.
boost::json::value routes_to_json(const std::vector<RouteStatus>& routes);

}  // namespace hserver::service
