// Windows host. main() calls StartServiceCtrlDispatcherW: when the SCM started the process, it runs
// service_main on a new thread and returns when the service has stopped; otherwise it fails at once with
// ERROR_FAILED_SERVICE_CONTROLLER_CONNECT and the service runs in the console (debugging), Ctrl+C being
// the stop. In both modes the stop is HostedApplication::request_stop(), the same graceful stop as SIGTERM
// on POSIX; the control handler only records the state and asks, and returns at once as the SCM requires.
#include "host/service_host.hpp"

#include <atomic>
#include <memory>
#include <utility>

#include <spdlog/sinks/win_eventlog_sink.h>
#include <spdlog/spdlog.h>

#include "host/win/service_status.hpp"
#include "host/win/win_text.hpp"
#include "logging.hpp"

namespace hserver::service {
namespace {

constexpr int kExitStartFailed = 1;
constexpr DWORD kStartWaitHintMs = 10'000;
constexpr DWORD kStopWaitHintMs = 5'000;
// Windows ends a console process this long after a close event's handler returns; waiting a little less
// lets the graceful stop finish when it can.
constexpr DWORD kConsoleCloseWaitMs = 4'500;

// service_main and the console handler take no context argument, so the one run of the host is reached
// through this pointer; it is set before either can be called and outlives them.
struct HostRun {
  HostedApplication& application;
  std::wstring default_name;
  win::ServiceStatusReporter status;
  int exit_code = kExitStartFailed;
  HANDLE finished = nullptr;  // console mode: set when run() has returned
};
std::atomic<HostRun*> g_run{nullptr};

DWORD WINAPI control_handler(DWORD control, DWORD, LPVOID, LPVOID context) {
  auto* run = static_cast<HostRun*>(context);
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
      if (run->status.state() != SERVICE_RUNNING) return NO_ERROR;  // already stopping
      run->status.pending(SERVICE_STOP_PENDING, kStopWaitHintMs);
      run->application.request_stop(control == SERVICE_CONTROL_STOP ? "service stop" : "system shutdown");
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

// Under the SCM nobody sees stderr: warnings and errors also go to the Application event log, under the
// source registered by `1chserver install` (without it Windows still logs them, with a generic text).
void add_event_log(const std::string& source) {
  try {
    auto sink = std::make_shared<spdlog::sinks::win_eventlog_sink_mt>(source);
    sink->set_pattern("[%t] %v");
    add_log_sink(std::move(sink), spdlog::level::warn);
  } catch (const spdlog::spdlog_ex& error) {
    spdlog::warn("no Event Log for '{}': {}", source, error.what());
  }
}

void WINAPI service_main(DWORD argc, LPWSTR* argv) {
  HostRun& run = *g_run.load();
  // The SCM passes the service's name first: the name given at install, whatever the default here.
  const std::wstring name = argc > 0 && argv[0] != nullptr ? std::wstring{argv[0]} : run.default_name;
  add_event_log(win::narrow(name));
  const SERVICE_STATUS_HANDLE handle = RegisterServiceCtrlHandlerExW(name.c_str(), control_handler, &run);
  if (handle == nullptr) {
    spdlog::critical("RegisterServiceCtrlHandlerExW: {}", win::error_text(GetLastError()));
    return;
  }
  run.status.attach(handle);
  run.status.pending(SERVICE_START_PENDING, kStartWaitHintMs);
  if (auto started = run.application.start(); !started) {
    spdlog::critical("{}", started.error());
    run.exit_code = kExitStartFailed;
    run.status.stopped(run.exit_code);
    return;
  }
  run.status.running();
  spdlog::info("running as the Windows service '{}'", win::narrow(name));
  run.exit_code = run.application.run();
  run.status.stopped(run.exit_code);
}

BOOL WINAPI console_handler(DWORD event) {
  HostRun* run = g_run.load();
  if (run == nullptr) return FALSE;
  switch (event) {
    case CTRL_C_EVENT:
      run->application.request_stop("Ctrl+C");
      return TRUE;
    case CTRL_BREAK_EVENT:
      run->application.request_stop("Ctrl+Break");
      return TRUE;
    case CTRL_CLOSE_EVENT:
      run->application.request_stop("console closed");
      WaitForSingleObject(run->finished, kConsoleCloseWaitMs);
      return TRUE;
    default:
      return FALSE;
  }
}

int run_in_console(HostRun& run) {
  run.finished = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!SetConsoleCtrlHandler(console_handler, TRUE)) {
    spdlog::warn("SetConsoleCtrlHandler: {}; Ctrl+C will not stop gracefully", win::error_text(GetLastError()));
  }
  if (auto started = run.application.start(); !started) {
    spdlog::critical("{}", started.error());
    return kExitStartFailed;
  }
  spdlog::info("running in the console (not started by the service control manager); Ctrl+C stops");
  const int exit_code = run.application.run();
  if (run.finished != nullptr) SetEvent(run.finished);
  return exit_code;
}

}  // namespace

ServiceHost::ServiceHost(std::string service_name) : service_name_(std::move(service_name)) {}

int ServiceHost::run(HostedApplication& application) {
  HostRun run{application, win::widen(service_name_), {}, kExitStartFailed, nullptr};
  g_run = &run;
  // For an own-process service the SCM ignores the name in the table, but it must not be empty.
  SERVICE_TABLE_ENTRYW table[] = {{run.default_name.data(), service_main}, {nullptr, nullptr}};
  int exit_code = run.exit_code;
  if (StartServiceCtrlDispatcherW(table)) {
    exit_code = run.exit_code;
  } else if (const DWORD error = GetLastError(); error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
    exit_code = run_in_console(run);
  } else {
    spdlog::critical("StartServiceCtrlDispatcherW: {}", win::error_text(error));
  }
  SetConsoleCtrlHandler(console_handler, FALSE);
  g_run = nullptr;
  if (run.finished != nullptr) CloseHandle(run.finished);
  return exit_code;
}

}  // namespace hserver::service
