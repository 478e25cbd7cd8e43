#include "host/win/service_status.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "host/win/win_text.hpp"

namespace hserver::service::win {
namespace {

constexpr std::chrono::seconds kCheckpointPeriod{1};

bool is_pending(DWORD state) {
  return state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
}

}  // namespace

ServiceStatusReporter::~ServiceStatusReporter() {
  {
    std::lock_guard lock{mutex_};
    quit_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ServiceStatusReporter::attach(SERVICE_STATUS_HANDLE handle) {
  std::lock_guard lock{mutex_};
  handle_ = handle;
  ticker_ = std::thread{[this] { tick(); }};
}

void ServiceStatusReporter::pending(DWORD state, DWORD wait_hint_ms) {
  std::lock_guard lock{mutex_};
  status_.dwCurrentState = state;
  status_.dwControlsAccepted = 0;
  status_.dwCheckPoint = 1;
  status_.dwWaitHint = wait_hint_ms;
  report_locked();
}

void ServiceStatusReporter::running() {
  std::lock_guard lock{mutex_};
  status_.dwCurrentState = SERVICE_RUNNING;
  status_.dwControlsAccepted = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN;
  status_.dwCheckPoint = 0;
  status_.dwWaitHint = 0;
  report_locked();
}

void ServiceStatusReporter::stopped(int exit_code) {
  {
    std::lock_guard lock{mutex_};
    quit_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard lock{mutex_};
  status_.dwCurrentState = SERVICE_STOPPED;
  status_.dwControlsAccepted = 0;
  status_.dwCheckPoint = 0;
  status_.dwWaitHint = 0;
  status_.dwWin32ExitCode = exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
  status_.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  report_locked();
}

DWORD ServiceStatusReporter::state() {
  std::lock_guard lock{mutex_};
  return status_.dwCurrentState;
}

void ServiceStatusReporter::report_locked() {
  if (handle_ == nullptr) return;
  if (!SetServiceStatus(handle_, &status_)) {
    spdlog::error("SetServiceStatus: {}", error_text(GetLastError()));
  }
}

void ServiceStatusReporter::tick() {
  std::unique_lock lock{mutex_};
  while (!wake_.wait_for(lock, kCheckpointPeriod, [this] { return quit_; })) {
    if (is_pending(status_.dwCurrentState)) {
      ++status_.dwCheckPoint;
      report_locked();
    }
  }
}

}  // namespace hserver::service::win
