#pragma once
/// @brief What every connection of one listening address shares: the routes served there (told apart
/// by path prefix), the HTTP limits, the sink requests go to and the registry of open sessions.

#include <memory>
#include <string>

#include "config.hpp"
#include "dispatch/request_sink.hpp"
#include "http/route_table.hpp"

namespace hserver::service {

class SessionRegistry;

/// @brief Immutable after construction; shared (shared_ptr<const>) by a listener and its sessions.
/// `sink` is not owned: it must outlive every session (main constructs the Dispatcher first).
struct ListenerContext {
  std::string bind_address;  ///< shared by every route of the table
  std::uint16_t port = 0;    ///< likewise; 0: an ephemeral port
  RouteTable routes;
  HttpLimits limits;
  RequestSink& sink;
  std::shared_ptr<SessionRegistry> registry;
};

}  // namespace hserver::service
