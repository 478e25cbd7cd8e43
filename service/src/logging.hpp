#pragma once
/// @brief Sets up spdlog for the service: stderr always, plus a rotating file when configured.

#include <string>

#include "config.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief Replaces spdlog's default logger with a thread-safe one named "1chserver" writing to stderr
/// and, when config.log_file is set, to that file rotated at 10 MiB with 5 files kept. Call once from
/// main before the I/O threads start (spdlog's default-logger swap is not synchronised with logging).
/// @return an error such as "cannot open log file x.log: Permission denied".
Status<std::string> setup_logging(const ServiceConfig& config);

}  // namespace hserver::service
