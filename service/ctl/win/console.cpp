#include "console.hpp"

#include <windows.h>

#include <memory>

namespace hserver::ctl {

namespace {

struct HandleCloser {
  void operator()(HANDLE h) const noexcept {
    if (h != nullptr) ::CloseHandle(h);
  }
};

}  // namespace

std::string process_name(std::uint32_t pid) {
  std::unique_ptr<void, HandleCloser> process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (!process) return "";
  wchar_t path[MAX_PATH * 2];
  DWORD length = MAX_PATH * 2;
  if (!::QueryFullProcessImageNameW(process.get(), 0, path, &length)) return "";
  std::wstring wide(path, length);
  wide = wide.substr(wide.find_last_of(L"\\/") + 1);
  const int bytes =
      ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
  std::string name(static_cast<std::size_t>(bytes > 0 ? bytes : 0), '\0');
  if (bytes > 0) {
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), name.data(), bytes, nullptr, nullptr);
  }
  return name;
}

bool prepare_terminal_output() {
  // Windows 10 and later process ANSI escapes once asked to; older consoles refuse, and get plain text.
  const HANDLE out = ::GetStdHandle(STD_OUTPUT_HANDLE);
  DWORD mode = 0;
  if (out == INVALID_HANDLE_VALUE || !::GetConsoleMode(out, &mode)) return false;
  return ::SetConsoleMode(out, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING | ENABLE_PROCESSED_OUTPUT) != 0;
}

}  // namespace hserver::ctl
