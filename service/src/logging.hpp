#pragma once
/// @brief Sets up spdlog for the service: stderr always, plus a rotating file when configured, plus what
/// the host adds (the Windows Event Log under the SCM).

#include <string>

#include <spdlog/common.h>

#include "config.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief Replaces spdlog's default logger with a thread-safe one named "1chserver" writing to stderr
/// and, when config.log_file is set, to that file rotated at 10 MiB with 5 files kept. Call once from
/// main before the I/O threads start (spdlog's default-logger swap is not synchronised with logging).
/// @return an error such as "cannot open log file x.log: Permission denied".
Status<std::string> setup_logging(const ServiceConfig& config);

/// @brief Adds a sink to the default logger that receives `min_level` and above (the Windows host adds
/// the Event Log this way when it runs under the SCM). Same threading rule as setup_logging(): call
/// before other threads log. A level below the logger's own does not lower the logger's.
void add_log_sink(spdlog::sink_ptr sink, spdlog::level::level_enum min_level);

}  // namespace hserver::service
