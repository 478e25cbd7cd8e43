#pragma once
/// @brief Bytes from the OS's cryptographic random generator (POSIX: /dev/urandom; Windows:
/// BCryptGenRandom with the system-preferred generator). One implementation per OS.

#include <cstddef>

namespace hserver::platform {

/// @brief Fill `bytes` bytes at `data`; false (and nothing promised about the bytes) when the OS failed.
bool fill_random(void* data, std::size_t bytes) noexcept;

}  // namespace hserver::platform
