#pragma once
/// @brief Dispatch: routes each submitted request to an attached add-in with a deadline. It composes the
/// parts of dispatch/, one concern each:
/// - attach_acceptor: lets add-ins in and gives each its own channel;
/// - worker_link: one channel thread per add-in, moving frames and watching its liveness;
/// - worker_ledger: what each add-in holds, and the judge of what it says;
/// - request_timeline: the deadlines of a queued or handed request;
/// - drain_waiters: drains waiting for routes to empty; pause is a flag per route;
/// - route_counters: answers by status and latency, for status and /metrics.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config.hpp"
#include "dispatch/request_sink.hpp"
#include "dispatch/route_counters.hpp"

namespace hserver::service {

/// @brief One attached add-in, as the admin tool and the metrics show it.
struct WorkerStatus {
  std::uint32_t pid = 0;
  std::uint32_t slot = 0;
  std::size_t in_hand = 0;       ///< requests handed to it and not answered
  std::uint64_t answered = 0;    ///< answers received since it attached
  std::int64_t attached_ms = 0;  ///< how long ago it attached
};

/// @brief One route's state and counters since the service started.
struct RouteStatus : RouteCounters {
  std::string name;
  std::uint16_t port = 0;
  std::string path_prefix = "/";
  RouteMode mode = RouteMode::legacy;
  bool paused = false;
  std::size_t queued = 0;   ///< waiting for a worker
  std::size_t in_hand = 0;  ///< handed to workers, not answered
  std::vector<WorkerStatus> workers;
};

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

  /// @brief Stop handing requests of `route` (empty: every route) to workers. New requests are held (up to
  /// the route's hold_time) or refused with 503 + Retry-After, as the route says. Workers may detach and
  /// attach meanwhile. Returns an error and changes nothing when the route does not exist.
  Status<std::string> pause(const std::string& route);
  /// @brief Serve again: held requests go to workers (a fresh deadline starts for each).
  Status<std::string> resume(const std::string& route);
  /// @brief Pause, then call `done(true)` once no request of the route(s) is in a worker's hands, or
  /// `done(false)` after `timeout`. Any thread.
  Status<std::string> drain(const std::string& route, std::chrono::milliseconds timeout,
                            std::function<void(bool)> done);
  /// @brief A consistent snapshot of every route. Any thread.
  std::vector<RouteStatus> status() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hserver::service
