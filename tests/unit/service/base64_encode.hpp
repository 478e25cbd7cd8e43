#pragma once
/// @brief Standard base64 with padding, for building Authorization headers in tests (the service itself
/// only decodes: security/access.hpp decode_base64).

#include <cstdint>
#include <string>
#include <string_view>

namespace hserver::service::test {

inline std::string base64(std::string_view text) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    std::uint32_t bits = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) bits |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) bits |= static_cast<unsigned char>(text[i + 2]);
    out += alphabet[(bits >> 18) & 63];
    out += alphabet[(bits >> 12) & 63];
    out += i + 1 < text.size() ? alphabet[(bits >> 6) & 63] : '=';
    out += i + 2 < text.size() ? alphabet[bits & 63] : '=';
  }
  return out;
}

}  // namespace hserver::service::test
