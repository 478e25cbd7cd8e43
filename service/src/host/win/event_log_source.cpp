#include "host/win/event_log_source.hpp"

#include <windows.h>

#include <fmt/format.h>

#include "host/win/win_text.hpp"

namespace hserver::service::win {
namespace {

const std::wstring kApplicationLogKey = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\";

}  // namespace

Status<std::string> register_event_source(const std::wstring& name, const std::wstring& message_file) {
  HKEY key = nullptr;
  LSTATUS status = RegCreateKeyExW(HKEY_LOCAL_MACHINE, (kApplicationLogKey + name).c_str(), 0, nullptr, 0,
                                   KEY_SET_VALUE, nullptr, &key, nullptr);
  if (status != ERROR_SUCCESS) {
    return Unexpected{fmt::format("cannot create the Event Log source: {}", error_text(static_cast<DWORD>(status)))};
  }
  const auto bytes = static_cast<DWORD>((message_file.size() + 1) * sizeof(wchar_t));
  status = RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ,
                          reinterpret_cast<const BYTE*>(message_file.c_str()), bytes);
  if (status == ERROR_SUCCESS) {
    const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    status = RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types), sizeof types);
  }
  RegCloseKey(key);
  if (status != ERROR_SUCCESS) {
    return Unexpected{fmt::format("cannot write the Event Log source: {}", error_text(static_cast<DWORD>(status)))};
  }
  return {};
}

Status<std::string> unregister_event_source(const std::wstring& name) {
  const LSTATUS status = RegDeleteKeyW(HKEY_LOCAL_MACHINE, (kApplicationLogKey + name).c_str());
  if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND) {
    return Unexpected{fmt::format("cannot remove the Event Log source: {}", error_text(static_cast<DWORD>(status)))};
  }
  return {};
}

}  // namespace hserver::service::win
