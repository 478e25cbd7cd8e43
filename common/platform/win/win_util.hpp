#pragma once
/// @brief Helpers private to the Windows platform layer: object names, error text, and the security
/// descriptor the service gives every object it creates.

#include <windows.h>

#include <memory>
#include <string>

#include "hserver/common/expected.hpp"
#include "hserver/common/platform/shared_memory.hpp"

namespace hserver::platform::win {

/// @brief The kernel object name for a protocol name: `Global\<name>`, so the service in session 0 and
/// 1C in a user session see the same object. A name that already starts with `Global\` or `Local\` is
/// kept as it is; see object_namespace() for the console/test fallback.
std::wstring object_name(const std::string& name);

/// @brief `Global\` normally. The environment variable HSERVER_WIN_LOCAL_OBJECTS=1 (console runs and
/// tests only, never the SCM service) selects `Local\`: a process without SeCreateGlobalPrivilege
/// cannot create `Global\` objects, and both sides must then run in the same session.
const wchar_t* object_namespace();

/// @brief "<what>: <system message> (error N)", with "access denied" spelled out for 1C users.
std::string describe_error(const std::string& what, DWORD error);

/// @brief A self-relative security descriptor (LocalFree'd) and the SECURITY_ATTRIBUTES pointing at it.
struct SecurityAttributes {
  std::unique_ptr<void, decltype(&::LocalFree)> descriptor{nullptr, &::LocalFree};
  SECURITY_ATTRIBUTES attributes{};
};

/// @brief An explicit, protected DACL (never a NULL DACL): full access for SYSTEM, Administrators and the
/// creating account; `users_rights` for access.windows_users (an account or group name, or a SID string)
/// when given. Returns a clear error when the users cannot be resolved.
Expected<std::unique_ptr<SecurityAttributes>, std::string> make_security(const SegmentAccess& access,
                                                                         DWORD users_rights);

/// @brief Closes a HANDLE on destruction.
struct HandleCloser {
  void operator()(HANDLE h) const noexcept {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
  }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

}  // namespace hserver::platform::win
