#pragma once
/// @brief The few OS services the host emulator needs, one implementation per OS
/// (src/platform_posix.cpp, src/platform_win.cpp, chosen by CMake): loading the add-in library as 1C
/// does, stop requests, and process facts.

#include <atomic>
#include <cstdint>
#include <string>

namespace hserver::host::platform {

/// @brief Load a library as 1C does (dlopen RTLD_NOW|RTLD_LOCAL; LoadLibraryW). Null and `error` set on
/// failure. `path` is UTF-8.
void* open_library(const std::string& path, std::string& error);
/// @brief An exported symbol by its undecorated name, or null.
void* find_symbol(void* handle, const char* name);
/// @brief Unload a library from open_library.
void close_library(void* handle);

/// @brief Set `*flag` when the process is asked to stop (SIGTERM/SIGINT; Ctrl+C/Ctrl+Break/close).
void install_stop_handler(std::atomic<bool>* flag);

/// @brief This process's id.
std::uint32_t current_pid();

/// @brief The folder of this executable (empty if unknown).
std::string executable_dir();

/// @brief The add-in's file name on this OS (lib1chserver_addin.so, 1chserver_addin.dll).
const char* addin_file_name();

}  // namespace hserver::host::platform
