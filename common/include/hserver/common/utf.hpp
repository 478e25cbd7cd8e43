#pragma once
/// @brief UTF-8 <-> UTF-16 conversion. 1C strings are UTF-16 (2-byte units) on every platform; the
/// service and the envelope speak UTF-8. Invalid input is an error, never silently replaced.

#include <cstddef>
#include <string>
#include <string_view>

#include "hserver/common/expected.hpp"

namespace hserver {

/// @brief Offset of the first byte that is not valid UTF-8 (overlongs, surrogates and code points above
/// U+10FFFF are invalid), or std::string_view::npos when `text` is valid.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

inline bool is_valid_utf8(std::string_view text) noexcept {
  return find_invalid_utf8(text) == std::string_view::npos;
}

enum class UtfError { invalid_utf8, invalid_utf16 };

Expected<std::u16string, UtfError> utf8_to_utf16(std::string_view text);
/// Unpaired surrogates are an error.
Expected<std::string, UtfError> utf16_to_utf8(std::u16string_view text);

}  // namespace hserver
