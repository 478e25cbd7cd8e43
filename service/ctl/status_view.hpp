#pragma once
/// @brief `1chserverctl status` as people read it: one row per route (port, prefix, mode, paused or
/// serving, queued, in hand, answers, errors) and under each route its workers (1C process, pid, slot,
/// in hand, answered, attached for). Pure formatting of the admin protocol's answer, apart from the
/// process names it is given a way to look up.

#include <cstdint>
#include <functional>
#include <string>

#include <boost/json/object.hpp>

namespace hserver::ctl {

struct StatusViewOptions {
  bool colours = false;                                    ///< ANSI colours: paused and workerless routes stand out
  std::function<std::string(std::uint32_t)> process_name;  ///< pid -> executable name; empty: not shown
};

/// @brief The table for an admin answer {"ok": true, "routes": [...]}; fields an older service does not
/// send show as blank. Every line ends with '\n'.
std::string render_status(const boost::json::object& answer, const StatusViewOptions& options);

/// @brief "45 s", "12 min 05 s", "3 h 07 min", "2 d 04 h".
std::string format_duration(std::int64_t milliseconds);

}  // namespace hserver::ctl
