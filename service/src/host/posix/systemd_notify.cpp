// sd_notify from libsystemd when the build found it (HSERVER_HAVE_SD_NOTIFY, the same library as the
// journald sink); a build without it cannot become ready under Type=notify, so it says so instead.
#include "host/posix/systemd_notify.hpp"

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#if HSERVER_HAVE_SD_NOTIFY
#include <systemd/sd-daemon.h>
#endif

namespace hserver::service {
namespace {

void notify(const char* state) noexcept {
#if HSERVER_HAVE_SD_NOTIFY
  // 0: keep NOTIFY_SOCKET, STOPPING=1 is sent after READY=1. Returns 0 when NOTIFY_SOCKET is unset.
  if (const int sent = sd_notify(0, state); sent < 0) {
    spdlog::warn("cannot tell the service manager {}: {}", state, std::strerror(-sent));
  }
#else
  if (std::getenv("NOTIFY_SOCKET") != nullptr) {
    spdlog::warn(
        "NOTIFY_SOCKET is set, but this build has no libsystemd (libsystemd-dev): {} is not sent; "
        "run the unit as Type=simple",
        state);
  }
#endif
}

}  // namespace

void notify_ready() noexcept {
  notify("READY=1");
}

void notify_stopping() noexcept {
  notify("STOPPING=1");
}

}  // namespace hserver::service
