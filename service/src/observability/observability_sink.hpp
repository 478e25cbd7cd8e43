#pragma once
/// @brief The service's own endpoints, answered without 1C, on the metrics listener (local by default):
///   GET /health/live   200 while the process serves HTTP at all;
///   GET /health/ready  200 when every route has a worker attached and is not paused, else 503;
///   GET /metrics       Prometheus text: requests by route and status, latency histogram, queue depth,
///                      requests in hand, attached workers, paused state.

#include <string>
#include <vector>

#include "dispatch/dispatcher.hpp"
#include "dispatch/request_sink.hpp"
#include "http/front_stats.hpp"
#include "http/memory_budget.hpp"

namespace hserver::service {

/// @brief The Prometheus exposition text for these routes, plus what the HTTP front refused (`front`
/// may be null).
std::string prometheus_text(const std::vector<RouteStatus>& routes, const FrontStats* front = nullptr,
                            const MemoryBudget* memory_budget = nullptr);

class ObservabilitySink final : public RequestSink {
 public:
  /// `front`: the main HTTP server's refusals; not owned, must outlive the sink (or be null).
  /// `memory_budget`: likewise (or null).
  ObservabilitySink(const Dispatcher& dispatcher, const FrontStats* front, const MemoryBudget* memory_budget = nullptr)
      : dispatcher_(dispatcher), front_(front), memory_budget_(memory_budget) {}
  void submit(const std::string& route, RequestEnvelope request, Completion done) override;

 private:
  const Dispatcher& dispatcher_;
  const FrontStats* front_;
  const MemoryBudget* memory_budget_;
};

}  // namespace hserver::service
