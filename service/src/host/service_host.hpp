#pragma once
/// @brief The host: runs the service in the foreground or under the OS service manager and delivers
/// "stop" to it. One header, one implementation per OS (host/posix, host/win), picked by CMake, so that
/// main and the application have no platform code (the shape of Poco's ServerApplication).

#include <string>
#include <string_view>

#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief What a host runs. The host calls start() once, then run() once on the same thread;
/// request_stop() may come from any thread at any time after start() began.
class HostedApplication {
 public:
  virtual ~HostedApplication() = default;

  /// @brief Acquires what the service needs (ports, shared memory). Returns a one-line error to log
  /// when it cannot start; the host then exits with a failure code without calling run().
  virtual Status<std::string> start() = 0;

  /// @brief Serves until stopped; blocks the calling thread. @return the process exit code.
  virtual int run() = 0;

  /// @brief Asks for a graceful stop (requests in hand are answered, then run() returns). Thread-safe,
  /// returns at once; a second call stops without waiting. `reason` is logged ("SIGTERM", "service stop").
  virtual void request_stop(std::string_view reason) noexcept = 0;
};

/// @brief Runs a HostedApplication. POSIX: in the foreground, SIGTERM/SIGINT request the stop.
/// Windows: as a service when started by the SCM (status reports, STOP/SHUTDOWN/PRESHUTDOWN, Event Log),
/// otherwise in the console with Ctrl+C as the stop.
class ServiceHost {
 public:
  /// @param service_name  Windows: the SCM name and Event Log source when the SCM does not tell it;
  /// POSIX: used in log lines only.
  explicit ServiceHost(std::string service_name);

  /// @brief Starts and runs `application` until it stops. Call once, from main's thread; `application`
  /// must outlive the call. @return the process exit code.
  int run(HostedApplication& application);

 private:
  std::string service_name_;
};

}  // namespace hserver::service
