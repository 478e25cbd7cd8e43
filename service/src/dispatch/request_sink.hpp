#pragma once
/// @brief The seam between the HTTP front and dispatch: the front turns an HTTP request into an envelope
/// and submits it; dispatch answers exactly once, from any thread, through the completion.

#include <functional>
#include <string>

#include "hserver/common/envelope.hpp"

namespace hserver::service {

using Completion = std::function<void(ResponseEnvelope)>;

class RequestSink {
 public:
  virtual ~RequestSink() = default;
  /// @brief Queue `request` for the route called `route`. `done` is called exactly once, possibly before
  /// submit returns, possibly from another thread. Errors (no worker, timeout, stopping) arrive as a
  /// response whose body is "Error: <why>" with a fitting status (503, 504).
  virtual void submit(const std::string& route, RequestEnvelope request, Completion done) = 0;
};

}  // namespace hserver::service
