#pragma once
/// @brief What every connection of one listening address shares: the routes served there (told apart
/// by path prefix), the HTTP limits, the sink requests go to and the registry of open sessions.

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "config.hpp"
#include "dispatch/request_sink.hpp"
#include "http/front_stats.hpp"
#include "http/memory_budget.hpp"
#include "http/route_table.hpp"
#include "security/access.hpp"

#if HSERVER_HAVE_TLS
#include <boost/asio/ssl/context.hpp>
#endif

namespace hserver::service {

class CredentialChecks;
class SessionRegistry;

/// @brief Immutable after construction (but for the connection count); shared (shared_ptr<const>) by a
/// listener and its sessions. `sink` is not owned: it must outlive every session (main constructs the
/// Dispatcher first).
struct ListenerContext {
  std::string bind_address;  ///< shared by every route of the table
  std::uint16_t port = 0;    ///< likewise; 0: an ephemeral port
  RouteTable routes;
  HttpLimits limits;  ///< the connection limits the routes share; body_limit: the largest of theirs
  RequestSink& sink;
  std::shared_ptr<SessionRegistry> registry;
  std::shared_ptr<FrontStats> stats;
  std::map<std::string, std::shared_ptr<const RouteAccess>> access;  ///< by route name
  mutable std::atomic<std::size_t> connections{0};                   ///< open sessions of this listener
  std::shared_ptr<MemoryBudget> memory_budget{};                     ///< shared by every listener
  /// Not owned (the HttpServer's, like `sink`); set when a route requires authentication.
  CredentialChecks* credential_checks = nullptr;
#if HSERVER_HAVE_TLS
  std::shared_ptr<boost::asio::ssl::context> tls{};  ///< null: plain HTTP
#endif

  const std::shared_ptr<const RouteAccess>& access_of(const RouteConfig& route) const {
    return access.at(route.name);
  }
};

}  // namespace hserver::service
