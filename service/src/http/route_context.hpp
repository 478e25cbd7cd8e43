#pragma once
/// @brief What every connection of one route shares: its configuration, the HTTP limits, the sink
/// requests go to and the registry of open sessions.

#include <memory>

#include "config.hpp"
#include "dispatch/request_sink.hpp"

namespace hserver::service {

class SessionRegistry;

/// @brief Immutable after construction; shared (shared_ptr<const>) by a listener and its sessions.
/// `sink` is not owned: it must outlive every session (main constructs the Dispatcher first).
struct RouteContext {
  RouteConfig route;
  HttpLimits limits;
  RequestSink& sink;
  std::shared_ptr<SessionRegistry> registry;
};

}  // namespace hserver::service
