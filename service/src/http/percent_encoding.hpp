#pragma once
/// @brief What the legacy code decoder and the path normaliser share about "%XX" escapes.

namespace hserver::service {

/// @brief The value of a hex digit (either case), or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace hserver::service
