#pragma once
/// @brief The HTTP front as main sees it: one listener per address and port (its routes told apart by
/// path prefix), and a graceful stop of them all.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config.hpp"
#include "dispatch/request_sink.hpp"
#include "hserver/common/expected.hpp"
#include "http/front_stats.hpp"
#include "http/memory_budget.hpp"

namespace hserver::service {

class CredentialChecks;
class Listener;
class SessionRegistry;

/// @brief Owns the listeners. `sink` is not owned and must outlive every session's use of it: keep it
/// alive while the io_context runs. A completion the sink still holds owns its session (socket and
/// timers of this io_context), so destroy the sink before the io_context. Methods are meant for one
/// thread (main, or a handler on the io_context); sessions run on the io_context's threads.
class HttpServer {
 public:
  /// `memory_budget`: shared with another server (the metrics listener shares the main one's); null: a
  /// budget of its own, of the config's memory_budget_bytes, made by start().
  HttpServer(boost::asio::io_context& io, RequestSink& sink, std::shared_ptr<MemoryBudget> memory_budget = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// @brief Binds every address of `config`'s routes (port 0 allowed: an ephemeral port for that route
  /// alone) and starts accepting.
  /// On the first failure closes what was opened and returns "cannot listen on <addr>: <why>".
  Status<std::string> start(const ServiceConfig& config);

  /// @brief Bound addresses, one per route in config order (the real port when 0 was asked for); routes
  /// sharing a listener share its address.
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

  /// @brief Closes the acceptors: no new connections. Open connections go on.
  void stop_accepting();

  /// @brief Asks every open connection to finish the answers in hand and close; calls `done` (posted to
  /// the io_context) when none is left, or after `deadline`, when the rest are closed at once.
  void drain(std::chrono::milliseconds deadline, std::function<void()> done);

  /// @brief Open connections now.
  std::size_t open_connections() const;

  /// @brief What the front refused or cut, for /metrics. Lives as long as the server.
  const FrontStats& stats() const noexcept { return *stats_; }
  /// @brief The bytes held in requests and answers; null before start().
  const std::shared_ptr<MemoryBudget>& memory_budget() const noexcept { return memory_budget_; }

 private:
  boost::asio::io_context& io_;
  RequestSink& sink_;
  std::shared_ptr<SessionRegistry> registry_;
  std::shared_ptr<FrontStats> stats_;
  std::shared_ptr<MemoryBudget> memory_budget_;
  // After stats_, which it counts into: destroyed first. Its queued verifications own sessions.
  std::unique_ptr<CredentialChecks> credential_checks_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::vector<std::size_t> listener_of_route_;  // route index in the config -> index in listeners_
};

}  // namespace hserver::service
