#pragma once
/// @brief The Event Log source of the service: the registry key under
/// SYSTEM\CurrentControlSet\Services\EventLog\Application\<name>, pointing at this executable, whose
/// message table (messages.mc) turns spdlog's event 1000 into the logged line. Internal to host/win.

#include <string>

#include "hserver/common/expected.hpp"

namespace hserver::service::win {

/// @brief Creates or updates the source `name` with `message_file` as EventMessageFile.
/// @return a one-line error (the Win32 text).
Status<std::string> register_event_source(const std::wstring& name, const std::wstring& message_file);

/// @brief Removes the source; a source that is not there is not an error.
Status<std::string> unregister_event_source(const std::wstring& name);

}  // namespace hserver::service::win
