#pragma once
/// @brief UTF-8 <-> UTF-16 for the host. Its own small implementation, not the project's common/utf,
/// so that a bug there cannot hide on both sides of the boundary the host is testing.

#include <optional>
#include <string>
#include <string_view>

#include "hserver/host/abi.hpp"

namespace hserver::host {

/// @brief nullopt when `text` is not valid UTF-8.
std::optional<std::u16string> to_utf16(std::string_view text);
/// @brief nullopt when `text` holds an unpaired surrogate.
std::optional<std::string> to_utf8(std::u16string_view text);
/// @brief As to_utf8 but unpaired surrogates become U+FFFD (for messages only).
std::string to_utf8_lossy(std::u16string_view text);

/// @brief Units before the terminating zero of a string the add-in gave (0 for null).
std::size_t wide_length(const abi::WChar* text) noexcept;
/// @brief A copy as char16_t (abi::WChar is wchar_t on Windows).
std::u16string from_wide(const abi::WChar* text, std::size_t length);
inline std::u16string from_wide(const abi::WChar* text) {
  return from_wide(text, wide_length(text));
}
/// @brief A zero-terminated abi::WChar copy the host owns (arguments it passes to the add-in).
std::basic_string<abi::WChar> to_wide(std::u16string_view text);

}  // namespace hserver::host
