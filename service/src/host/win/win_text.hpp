#pragma once
/// @brief Small helpers of the Windows host: UTF-8 <-> UTF-16 for the W functions, and the text of a
/// Win32 error code. Internal to service/src/host/win.

#include <string>
#include <string_view>

#include <windows.h>

namespace hserver::service::win {

/// @brief UTF-8 to UTF-16; invalid sequences become U+FFFD (names come from our own command line).
std::wstring widen(std::string_view text);

/// @brief UTF-16 to UTF-8.
std::string narrow(std::wstring_view text);

/// @brief "Access is denied. (5)": the system's message for `error` and its number.
std::string error_text(DWORD error);

}  // namespace hserver::service::win
