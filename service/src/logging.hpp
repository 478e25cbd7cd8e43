#pragma once
/// @brief Sets up spdlog for the service: stderr, a rotating file when configured, the system log (syslog
/// or journald on Linux) when configured, plus what the host adds (the Windows Event Log under the SCM).

#include <string>

#include <spdlog/common.h>

#include "config.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief Replaces spdlog's default logger with a thread-safe one named "1chserver" writing to stderr
/// (only when stderr is a terminal if a system log is configured), to config.log_file rotated at 10 MiB
/// with 5 files kept, and to config.log_system ("syslog": facility daemon; "journald": priorities and
/// SYSLOG_IDENTIFIER=1chserver). Call once from
/// main before the I/O threads start (spdlog's default-logger swap is not synchronised with logging).
/// @return an error such as "cannot open log file x.log: Permission denied", or a system log this build
/// or OS does not have.
Status<std::string> setup_logging(const ServiceConfig& config);

/// @brief Adds a sink to the default logger that receives `min_level` and above (the Windows host adds
/// the Event Log this way when it runs under the SCM). Same threading rule as setup_logging(): call
/// before other threads log. A level below the logger's own does not lower the logger's.
void add_log_sink(spdlog::sink_ptr sink, spdlog::level::level_enum min_level);

}  // namespace hserver::service
