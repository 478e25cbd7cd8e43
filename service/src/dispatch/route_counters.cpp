#include "dispatch/route_counters.hpp"

namespace hserver::service {

void RouteCounters::record(std::uint16_t status, double latency_ms) {
  ++responses_by_status[status];
  std::size_t bucket = 0;
  while (bucket < kLatencyBucketsMs.size() && latency_ms > kLatencyBucketsMs[bucket]) ++bucket;
  ++latency_buckets[bucket];
  latency_sum_ms += latency_ms;
}

std::uint64_t RouteCounters::answers() const {
  std::uint64_t n = 0;
  for (const auto& [status, count] : responses_by_status) n += count;
  return n;
}

}  // namespace hserver::service
