#pragma once
/// @brief Dispatch: owns the shared-memory objects of every route, accepts add-ins that attach, and
/// routes each submitted request to an attached add-in with a deadline.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "config.hpp"
#include "dispatch/request_sink.hpp"

namespace hserver::service {

class Dispatcher final : public RequestSink {
 public:
  /// @brief Creates the shared-memory directory and one route segment per configured route.
  /// @throws std::runtime_error with a message fit for the log when that fails (for example another
  /// instance with the same shm prefix is running).
  Dispatcher(boost::asio::io_context& io, const ServiceConfig& config);
  ~Dispatcher() override;  ///< removes every shared-memory object it created

  void submit(const std::string& route, RequestEnvelope request, Completion done) override;

  /// @brief Graceful stop: new requests get 503 "Error: service is stopping"; requests in hand get up to
  /// `grace` to be answered, then 503; `done` is called (from any thread) once nothing is left in hand.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hserver::service
