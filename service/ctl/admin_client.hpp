#pragma once
/// @brief The client end of the admin channel: send one request line, get one answer line.
/// One implementation per OS (POSIX: Unix socket).

#include <chrono>
#include <string>

#include "hserver/common/expected.hpp"

namespace hserver::ctl {

/// @brief Errors are phrased for the operator: the service is not running, access is denied, ...
Expected<std::string, std::string> admin_call(const std::string& socket_path, const std::string& request_line,
                                              std::chrono::milliseconds timeout);

}  // namespace hserver::ctl
