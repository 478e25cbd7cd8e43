#pragma once
/// @brief The service proper: dispatch, the HTTP front and the I/O threads, with the graceful stop.
/// Knows nothing about how it is hosted (signals, the Windows SCM): see host/service_host.hpp.

#include <atomic>
#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "config.hpp"
#include "host/service_host.hpp"

namespace hserver::service {

class AdminServer;
class Dispatcher;
class HttpServer;
class ObservabilitySink;

/// @brief Runs one ServiceConfig. Not copyable; the config must outlive the object.
class ServiceApplication final : public HostedApplication {
 public:
  /// @brief Stores the config; acquires nothing until start().
  explicit ServiceApplication(const ServiceConfig& config);
  ~ServiceApplication() override;
  ServiceApplication(const ServiceApplication&) = delete;
  ServiceApplication& operator=(const ServiceApplication&) = delete;

  /// @brief Creates dispatch (shared memory) and binds every route; errors say which part failed, e.g.
  /// a second instance on the same port or shm prefix.
  Status<std::string> start() override;
  /// @brief Runs the I/O threads (this one included) until the stop completes. @return 0, or 1 if an
  /// I/O thread met an unhandled exception.
  int run() override;
  /// @brief First call: stop accepting, let dispatch answer what it holds within stop_grace, drain the
  /// answers, stop. Second call: stop at once. Thread-safe.
  void request_stop(std::string_view reason) noexcept override;

 private:
  Status<std::string> start_operations();
  void begin_graceful_stop(std::string reason);
  void run_io() noexcept;

  const ServiceConfig& config_;
  // Declaration order is destruction order in reverse: the HTTP front goes first, then dispatch (whose
  // late completions only post into the io_context), and the io_context with the sessions last.
  boost::asio::io_context io_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<HttpServer> server_;
  // Operations: health/metrics on their own (local) listener, and the admin channel.
  ServiceConfig metrics_config_;
  std::unique_ptr<ObservabilitySink> observability_;
  std::unique_ptr<HttpServer> metrics_server_;
  std::unique_ptr<AdminServer> admin_;
  std::atomic<int> stop_requests_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace hserver::service
