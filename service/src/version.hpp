#pragma once
/// @brief The service's version string, taken from the CMake project version (HSERVER_VERSION).

#include <string_view>

#ifndef HSERVER_VERSION
#error "HSERVER_VERSION must be defined by the build (see service/CMakeLists.txt)"
#endif

namespace hserver::service {

/// @brief "0.1.0"-style version, used in --version and in the Server header.
inline constexpr std::string_view kVersion = HSERVER_VERSION;

}  // namespace hserver::service
