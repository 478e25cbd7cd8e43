#pragma once
/// @brief Reports the service's state to the SCM, and keeps a pending state alive: while START_PENDING
/// or STOP_PENDING, a thread advances the checkpoint every second so the SCM sees progress. Both the
/// start and the graceful stop are bounded by the application (stop_grace + drain), so this cannot hide
/// a hang for long. Internal to service/src/host/win.

#include <condition_variable>
#include <mutex>
#include <thread>

#include <windows.h>

namespace hserver::service::win {

/// @brief Thread-safe; attach() once before the other calls; lives as long as the host.
class ServiceStatusReporter {
 public:
  ServiceStatusReporter() = default;
  ~ServiceStatusReporter();
  ServiceStatusReporter(const ServiceStatusReporter&) = delete;
  ServiceStatusReporter& operator=(const ServiceStatusReporter&) = delete;

  /// @brief Takes the handle from RegisterServiceCtrlHandlerExW and starts the checkpoint thread.
  void attach(SERVICE_STATUS_HANDLE handle);
  /// @brief START_PENDING or STOP_PENDING, no control accepted (STOP is accepted only once running).
  void pending(DWORD state, DWORD wait_hint_ms);
  /// @brief RUNNING, accepting STOP, SHUTDOWN and PRESHUTDOWN.
  void running();
  /// @brief STOPPED with `exit_code` (0: NO_ERROR; else a service-specific error, which lets the
  /// recovery actions run). Stops the checkpoint thread first; the last report.
  void stopped(int exit_code);
  /// @brief The state last reported (SERVICE_STOPPED before attach()).
  DWORD state();

 private:
  void report_locked();
  void tick();

  std::mutex mutex_;
  std::condition_variable wake_;
  SERVICE_STATUS_HANDLE handle_ = nullptr;
  SERVICE_STATUS status_{SERVICE_WIN32_OWN_PROCESS, SERVICE_STOPPED, 0, NO_ERROR, 0, 0, 0};
  bool quit_ = false;
  std::thread ticker_;
};

}  // namespace hserver::service::win
