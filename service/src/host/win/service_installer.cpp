// `1chserver install` / `uninstall` on Windows, through the SCM API rather than sc.exe so that the
// recovery actions, delayed start and pre-shutdown time are set in one step and errors are ours to word.
#include "host/service_installer.hpp"

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>
#include <type_traits>

#include <fmt/format.h>

#include "host/win/event_log_source.hpp"
#include "host/win/win_text.hpp"

namespace hserver::service {
namespace {

using win::error_text;
using win::widen;

constexpr DWORD kRestartDelaysMs[] = {5'000, 10'000, 30'000};
constexpr DWORD kFailureResetSeconds = 24 * 60 * 60;
// stop_grace (5 s by default) plus the drain (1 s) with room to spare; Windows' default is 3 minutes,
// which would hold a shutdown up for nothing.
constexpr DWORD kPreshutdownTimeoutMs = 30'000;
constexpr auto kStopWait = std::chrono::seconds{30};
constexpr auto kStopPoll = std::chrono::milliseconds{250};
constexpr const wchar_t* kDescription =
    L"1CHServer: routes HTTP requests to 1C:Enterprise sessions over shared memory.";

struct ScHandleCloser {
  void operator()(SC_HANDLE handle) const noexcept { CloseServiceHandle(handle); }
};
using ScHandle = std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ScHandleCloser>;

Unexpected<InstallError> failure(std::string message) {
  return Unexpected{InstallError{1, std::move(message)}};
}

Unexpected<InstallError> scm_failure(const std::string& what, const std::string& name, DWORD error) {
  switch (error) {
    case ERROR_ACCESS_DENIED:
      return failure(fmt::format("{}: access denied: run as administrator", what));
    case ERROR_SERVICE_EXISTS:
    case ERROR_DUPLICATE_SERVICE_NAME:
      return failure(fmt::format("service '{}' already exists (uninstall it first, or choose another --name)", name));
    case ERROR_SERVICE_DOES_NOT_EXIST:
      return failure(fmt::format("service '{}' not found", name));
    case ERROR_SERVICE_MARKED_FOR_DELETE:
      return failure(fmt::format("service '{}' is already marked for deletion (close services.msc, or reboot)", name));
    default:
      return failure(fmt::format("{}: {}", what, error_text(error)));
  }
}

// Windows' own name rules: the SCM refuses '/' and '\', and the name also names the Event Log key.
bool is_valid_service_name(const std::string& name) {
  return !name.empty() && name.size() <= 256 && name.find_first_of("/\\") == std::string::npos;
}

std::wstring own_executable() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD length = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (length < path.size()) {
      path.resize(length);
      return path;
    }
    path.resize(path.size() * 2);
  }
}

// A setting Windows has had since Vista; Wine lacks some (ERROR_INVALID_LEVEL): say so and go on, since
// the service runs without it.
Status<InstallError> change_config(SC_HANDLE service, DWORD level, void* info, const char* what,
                                   const std::string& name) {
  if (ChangeServiceConfig2W(service, level, info)) return {};
  const DWORD error = GetLastError();
  if (error == ERROR_INVALID_LEVEL || error == ERROR_CALL_NOT_IMPLEMENTED) {
    fmt::print(stderr, "1chserver install: warning: this system does not support setting the {}\n", what);
    return {};
  }
  return scm_failure(fmt::format("cannot set the {}", what), name, error);
}

Status<InstallError> configure(SC_HANDLE service, const std::string& name) {
  SERVICE_DESCRIPTIONW description{const_cast<wchar_t*>(kDescription)};
  if (auto done = change_config(service, SERVICE_CONFIG_DESCRIPTION, &description, "description", name); !done) {
    return done;
  }
  // Delayed: the network and the 1C server are up by then, and boot is not slowed down.
  SERVICE_DELAYED_AUTO_START_INFO delayed{TRUE};
  if (auto done = change_config(service, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed, "delayed start", name);
      !done) {
    return done;
  }
  SC_ACTION actions[std::size(kRestartDelaysMs)];
  for (std::size_t i = 0; i < std::size(kRestartDelaysMs); ++i) actions[i] = {SC_ACTION_RESTART, kRestartDelaysMs[i]};
  SERVICE_FAILURE_ACTIONSW failure_actions{kFailureResetSeconds, nullptr, nullptr,
                                           static_cast<DWORD>(std::size(actions)), actions};
  if (auto done = change_config(service, SERVICE_CONFIG_FAILURE_ACTIONS, &failure_actions, "recovery actions", name);
      !done) {
    return done;
  }
  // A stop with a non-zero exit code (cannot bind, I/O thread failure) is a failure too, not only a crash.
  SERVICE_FAILURE_ACTIONS_FLAG on_exit_code{TRUE};
  if (auto done =
          change_config(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_exit_code, "recovery on error exit", name);
      !done) {
    return done;
  }
  SERVICE_PRESHUTDOWN_INFO preshutdown{kPreshutdownTimeoutMs};
  if (auto done = change_config(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, &preshutdown, "pre-shutdown time", name);
      !done) {
    return done;
  }
  // The virtual account NT SERVICE\<name> is this SID; it also lets ACLs name the service.
  SERVICE_SID_INFO sid{SERVICE_SID_TYPE_UNRESTRICTED};
  return change_config(service, SERVICE_CONFIG_SERVICE_SID_INFO, &sid, "service SID type", name);
}

// Asks a running service to stop and waits, bounded; deletion proceeds either way (the SCM deletes a
// service marked for deletion once it stops).
void stop_and_wait(SC_HANDLE service, const std::string& name) {
  SERVICE_STATUS status{};
  if (!QueryServiceStatus(service, &status) || status.dwCurrentState == SERVICE_STOPPED) return;
  if (!ControlService(service, SERVICE_CONTROL_STOP, &status) && GetLastError() != ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
    fmt::print(stderr, "1chserver uninstall: warning: cannot stop '{}': {}\n", name, error_text(GetLastError()));
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + kStopWait;
  while (QueryServiceStatus(service, &status) && status.dwCurrentState != SERVICE_STOPPED) {
    if (std::chrono::steady_clock::now() > deadline) {
      fmt::print(stderr, "1chserver uninstall: warning: '{}' did not stop within {} s; it is deleted once it stops\n",
                 name, kStopWait.count());
      return;
    }
    std::this_thread::sleep_for(kStopPoll);
  }
}

}  // namespace

Status<InstallError> install_service(const InstallOptions& options) {
  const std::string& name = options.name;
  if (!is_valid_service_name(name)) return failure(fmt::format("'{}' is not a valid service name", name));
  const std::wstring executable = own_executable();
  std::wstring command = L"\"" + executable + L"\"";
  if (!options.config_path.empty()) {
    // The SCM starts the service in System32: the config path must not depend on the current folder.
    std::error_code ec;
    const auto config = std::filesystem::absolute(std::filesystem::path{widen(options.config_path)}, ec);
    if (ec || !std::filesystem::is_regular_file(config, ec)) {
      return failure(fmt::format("config file '{}' not found", options.config_path));
    }
    command += L" --config \"" + config.wstring() + L"\"";
  }
  const std::wstring wide_name = widen(name);
  const std::wstring account = options.account.empty() ? L"NT SERVICE\\" + wide_name : widen(options.account);

  ScHandle scm{OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE)};
  if (!scm) return scm_failure("cannot open the service control manager", name, GetLastError());
  const std::wstring display_name = L"1CHServer (" + wide_name + L")";
  ScHandle service{CreateServiceW(scm.get(), wide_name.c_str(), display_name.c_str(), SERVICE_ALL_ACCESS,
                                  SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, command.c_str(),
                                  nullptr, nullptr, nullptr, account.c_str(), nullptr)};
  if (!service) return scm_failure("cannot create the service", name, GetLastError());
  auto configured = configure(service.get(), name);
  if (configured) {
    if (auto source = win::register_event_source(wide_name, executable); !source) {
      configured = failure(source.error());
    }
  }
  if (!configured) {
    DeleteService(service.get());  // all or nothing: a half-configured service would surprise later
    return configured;
  }
  return {};
}

Status<InstallError> uninstall_service(const std::string& name) {
  if (!is_valid_service_name(name)) return failure(fmt::format("'{}' is not a valid service name", name));
  const std::wstring wide_name = widen(name);
  ScHandle scm{OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT)};
  if (!scm) return scm_failure("cannot open the service control manager", name, GetLastError());
  ScHandle service{OpenServiceW(scm.get(), wide_name.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE)};
  if (!service) return scm_failure("cannot open the service", name, GetLastError());
  stop_and_wait(service.get(), name);
  if (!DeleteService(service.get())) return scm_failure("cannot delete the service", name, GetLastError());
  if (auto source = win::unregister_event_source(wide_name); !source) {
    fmt::print(stderr, "1chserver uninstall: warning: {}\n", source.error());
  }
  return {};
}

}  // namespace hserver::service
