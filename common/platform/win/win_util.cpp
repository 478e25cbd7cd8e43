#include "win_util.hpp"

#include <sddl.h>

#include <cstdlib>
#include <cwchar>
#include <vector>

namespace hserver::platform::win {
namespace {

std::wstring widen(const std::string& text) {
  if (text.empty()) return {};
  const int n = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

std::string narrow(const std::wstring& text) {
  if (text.empty()) return {};
  const int n =
      ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n, nullptr, nullptr);
  return out;
}

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

std::wstring sid_to_string(PSID sid) {
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(sid, &text)) return {};
  std::wstring out(text);
  ::LocalFree(text);
  return out;
}

/// The SID string of the account this process runs as (the service's own account, e.g. a virtual
/// `NT SERVICE\<name>` account that is neither SYSTEM nor an administrator).
std::wstring current_user_sid() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return {};
  UniqueHandle guard(token);
  DWORD bytes = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &bytes);
  std::vector<unsigned char> buffer(bytes);
  if (bytes == 0 || !::GetTokenInformation(token, TokenUser, buffer.data(), bytes, &bytes)) return {};
  return sid_to_string(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid);
}

/// `users` is a SID string ("S-1-5-32-545") or an account/group name ("BUILTIN\Users", "1C Users").
Expected<std::wstring, std::string> resolve_users(const std::string& users) {
  const std::wstring wide = widen(users);
  if (starts_with(users, "S-1-")) {
    PSID sid = nullptr;
    if (!::ConvertStringSidToSidW(wide.c_str(), &sid)) {
      return Unexpected{describe_error("invalid SID '" + users + "' in the shared-memory users", ::GetLastError())};
    }
    std::wstring out = sid_to_string(sid);
    ::LocalFree(sid);
    return out;
  }
  DWORD sid_bytes = 0;
  DWORD domain_chars = 0;
  SID_NAME_USE use{};
  ::LookupAccountNameW(nullptr, wide.c_str(), nullptr, &sid_bytes, nullptr, &domain_chars, &use);
  std::vector<unsigned char> sid(sid_bytes == 0 ? 1 : sid_bytes);
  std::wstring domain(domain_chars == 0 ? 1 : domain_chars, L'\0');
  if (sid_bytes == 0 ||
      !::LookupAccountNameW(nullptr, wide.c_str(), sid.data(), &sid_bytes, domain.data(), &domain_chars, &use)) {
    return Unexpected{
        describe_error("unknown account or group '" + users + "' in the shared-memory users", ::GetLastError())};
  }
  return sid_to_string(sid.data());
}

}  // namespace

const wchar_t* object_namespace() {
  static const bool local = [] {
    const char* env = std::getenv("HSERVER_WIN_LOCAL_OBJECTS");
    return env != nullptr && env[0] == '1';
  }();
  return local ? L"Local\\" : L"Global\\";
}

std::wstring object_name(const std::string& name) {
  if (starts_with(name, "Global\\") || starts_with(name, "Local\\")) return widen(name);
  return object_namespace() + widen(name);
}

std::string describe_error(const std::string& what, DWORD error) {
  wchar_t* text = nullptr;
  const DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error,
      MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT), reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string message = n != 0 ? narrow(std::wstring(text, n)) : std::string("system error");
  if (text != nullptr) ::LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == '.')) {
    message.pop_back();
  }
  std::string out = what + ": " + message + " (error " + std::to_string(error) + ")";
  if (error == ERROR_ACCESS_DENIED) {
    out +=
        "; access denied: this Windows account is not among the users the 1chserver service grants the "
        "shared memory to (setting shm windows_users), or a Global\\ object needs SeCreateGlobalPrivilege";
  }
  return out;
}

Expected<std::unique_ptr<SecurityAttributes>, std::string> make_security(const SegmentAccess& access,
                                                                         DWORD users_rights) {
  // P: protected (no inherited ACEs). GA for SYSTEM, Administrators and the creating account.
  std::wstring sddl = L"D:P(A;;GA;;;SY)(A;;GA;;;BA)";
  const std::wstring self = current_user_sid();
  if (!self.empty()) sddl += L"(A;;GA;;;" + self + L")";
  if (!access.windows_users.empty()) {
    auto users = resolve_users(access.windows_users);
    if (!users) return Unexpected{users.error()};
    wchar_t rights[16];
    std::swprintf(rights, 16, L"0x%lx", static_cast<unsigned long>(users_rights));
    sddl += L"(A;;" + std::wstring(rights) + L";;;" + *users + L")";
  }
  auto security = std::make_unique<SecurityAttributes>();
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr)) {
    return Unexpected{describe_error("cannot build the security descriptor " + narrow(sddl), ::GetLastError())};
  }
  security->descriptor.reset(descriptor);
  security->attributes.nLength = sizeof(SECURITY_ATTRIBUTES);
  security->attributes.lpSecurityDescriptor = descriptor;
  security->attributes.bInheritHandle = FALSE;
  return security;
}

}  // namespace hserver::platform::win
