#pragma once
/// @brief What `1chserverctl status` needs from the OS beyond the admin channel: the name of a worker's
/// process and the console it draws on. One implementation per OS (posix/console.cpp, win/console.cpp).

#include <cstdint>
#include <string>

namespace hserver::ctl {

/// @brief The executable name of process `pid` ("1cv8c", "rphost", "1c-host-emulator"), or "" when it
/// cannot be read (the process ended, or another user's process hidden from us). Any thread.
std::string process_name(std::uint32_t pid);

/// @brief True when standard output is a terminal that understands ANSI escapes (colours, clear/home);
/// on Windows this also switches the console to processing them, where the console can (Windows 10+).
bool prepare_terminal_output();

}  // namespace hserver::ctl
