// DllRegisterServer / DllUnregisterServer for regsvr32:
//   HKCR\AddIn.1CHServer\CLSID = {clsid}
//   HKCR\CLSID\{clsid}\InprocServer32 = <this dll>, ThreadingModel = Apartment
//   HKCR\CLSID\{clsid}\ProgID = AddIn.1CHServer
// Written in the registry view of the running process: Windows redirects HKCR\CLSID of a 32-bit
// process to the 32-bit view, so the 32-bit regsvr32 registers the x86 dll for 32-bit 1C and the
// 64-bit one the x64 dll, under the same CLSID. The ProgID key is shared by both views.
#include <string>

#include <olectl.h>
#include <windows.h>

#include "hserver/addin/com/interfaces.hpp"

namespace hserver::addin::com {
HINSTANCE module_handle() noexcept;
}  // namespace hserver::addin::com

namespace {

using hserver::addin::com::kClsidText;
using hserver::addin::com::kProgId;

constexpr wchar_t kDescription[] = L"1CHServer add-in (COM)";

HRESULT set_value(const std::wstring& key_path, const wchar_t* name, const std::wstring& value) {
  HKEY key = nullptr;
  LSTATUS status = RegCreateKeyExW(HKEY_CLASSES_ROOT, key_path.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                   KEY_SET_VALUE, nullptr, &key, nullptr);
  if (status != ERROR_SUCCESS) return HRESULT_FROM_WIN32(static_cast<unsigned long>(status));
  const auto bytes = static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t));
  status = RegSetValueExW(key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()), bytes);
  RegCloseKey(key);
  return status == ERROR_SUCCESS ? S_OK : HRESULT_FROM_WIN32(static_cast<unsigned long>(status));
}

std::wstring clsid_key() {
  return std::wstring(L"CLSID\\") + kClsidText;
}

/// True when the other bitness still has our class registered (then the shared ProgID must stay).
bool other_view_registered() {
  BOOL wow64 = FALSE;
  IsWow64Process(GetCurrentProcess(), &wow64);
#ifdef _WIN64
  const REGSAM other = KEY_WOW64_32KEY;
#else
  // A 32-bit process on 32-bit Windows has no other view.
  if (!wow64) return false;
  const REGSAM other = KEY_WOW64_64KEY;
#endif
  const std::wstring path = std::wstring(L"Software\\Classes\\CLSID\\") + kClsidText;
  HKEY key = nullptr;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, KEY_READ | other, &key) != ERROR_SUCCESS) return false;
  RegCloseKey(key);
  return true;
}

}  // namespace

STDAPI DllRegisterServer() {
  try {
    wchar_t path[MAX_PATH * 4];
    const DWORD length = GetModuleFileNameW(hserver::addin::com::module_handle(), path, MAX_PATH * 4);
    if (length == 0 || length >= MAX_PATH * 4) return SELFREG_E_CLASS;
    const std::wstring clsid = clsid_key();
    HRESULT result = S_OK;
    const auto step = [&](const std::wstring& key, const wchar_t* name, const std::wstring& value) {
      if (SUCCEEDED(result)) result = set_value(key, name, value);
    };
    step(kProgId, nullptr, kDescription);
    step(std::wstring(kProgId) + L"\\CLSID", nullptr, kClsidText);
    step(clsid, nullptr, kDescription);
    step(clsid + L"\\ProgID", nullptr, kProgId);
    step(clsid + L"\\InprocServer32", nullptr, std::wstring(path, length));
    step(clsid + L"\\InprocServer32", L"ThreadingModel", L"Apartment");
    return SUCCEEDED(result) ? S_OK : SELFREG_E_CLASS;
  } catch (...) {
    return SELFREG_E_CLASS;
  }
}

STDAPI DllUnregisterServer() {
  try {
    const LSTATUS clsid = RegDeleteTreeW(HKEY_CLASSES_ROOT, clsid_key().c_str());
    LSTATUS progid = ERROR_SUCCESS;
    if (!other_view_registered()) progid = RegDeleteTreeW(HKEY_CLASSES_ROOT, kProgId);
    const auto ok = [](LSTATUS s) { return s == ERROR_SUCCESS || s == ERROR_FILE_NOT_FOUND; };
    return ok(clsid) && ok(progid) ? S_OK : SELFREG_E_CLASS;
  } catch (...) {
    return SELFREG_E_CLASS;
  }
}
