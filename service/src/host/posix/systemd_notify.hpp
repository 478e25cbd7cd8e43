#pragma once
/// @brief The service manager's readiness protocol (systemd Type=notify) for the POSIX host. Without
/// NOTIFY_SOCKET in the environment (a terminal, a container, Type=simple) both calls do nothing.

namespace hserver::service {

/// @brief READY=1: every listener is bound and the shared memory exists, so clients and add-ins may come.
void notify_ready() noexcept;

/// @brief STOPPING=1: a graceful stop has begun (requests in hand are being answered).
void notify_stopping() noexcept;

}  // namespace hserver::service
