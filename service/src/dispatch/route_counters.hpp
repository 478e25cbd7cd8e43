#pragma once
/// @brief Metrics bookkeeping of one route: answers by status and a latency histogram, counted once per
/// request when its single answer is decided (by 1C or by dispatch itself).

#include <array>
#include <cstdint>
#include <map>

namespace hserver::service {

/// Upper bounds (ms) of the latency histogram buckets; a last bucket counts everything above.
inline constexpr std::array<double, 12> kLatencyBucketsMs{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

struct RouteCounters {
  std::map<std::uint16_t, std::uint64_t> responses_by_status;
  std::array<std::uint64_t, kLatencyBucketsMs.size() + 1> latency_buckets{};  ///< not cumulative
  double latency_sum_ms = 0;
  std::uint64_t requeued = 0;  ///< requests given back by a worker that left, served by another

  /// @brief One answer with `status`, `latency_ms` after the request arrived (0 for a refusal at the door).
  void record(std::uint16_t status, double latency_ms);
  /// @brief Answers counted so far (the sum over statuses, which the histogram also counts).
  std::uint64_t answers() const;
};

}  // namespace hserver::service
