#include <windows.h>

#include <filesystem>
#include <string>

#include "hserver/host/platform.hpp"

namespace hserver::host::platform {
namespace {

std::atomic<bool>* g_stop_flag = nullptr;

BOOL WINAPI on_console_control(DWORD) {
  if (g_stop_flag != nullptr) g_stop_flag->store(true);
  return TRUE;  // handled: the main loop stops, closes the add-in and exits on its own
}

std::wstring widen(const std::string& text) {
  if (text.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

}  // namespace

void* open_library(const std::string& path, std::string& error) {
  // LoadLibraryW, as 1C does: the path may hold non-ASCII characters (a Russian user folder).
  HMODULE module = LoadLibraryW(widen(path).c_str());
  if (module == nullptr) error = "LoadLibraryW failed with error " + std::to_string(GetLastError());
  return reinterpret_cast<void*>(module);
}

void* find_symbol(void* handle, const char* name) {
  return reinterpret_cast<void*>(GetProcAddress(static_cast<HMODULE>(handle), name));
}

void close_library(void* handle) {
  FreeLibrary(static_cast<HMODULE>(handle));
}

void install_stop_handler(std::atomic<bool>* flag) {
  g_stop_flag = flag;
  SetConsoleCtrlHandler(&on_console_control, TRUE);
}

std::uint32_t current_pid() {
  return static_cast<std::uint32_t>(GetCurrentProcessId());
}

std::string executable_dir() {
  wchar_t buffer[MAX_PATH];
  const DWORD n = GetModuleFileNameW(nullptr, buffer, MAX_PATH);
  if (n == 0 || n >= MAX_PATH) return {};
  return std::filesystem::path(std::wstring(buffer, n)).parent_path().string();
}

const char* addin_file_name() {
  return "1chserver_addin.dll";
}

}  // namespace hserver::host::platform
