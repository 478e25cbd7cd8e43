#include "dispatch/route_counters.hpp"

#include <gtest/gtest.h>

namespace hserver::service {
namespace {

TEST(RouteCounters, EachAnswerIsCountedByStatusAndInExactlyOneLatencyBucket) {
  RouteCounters c;
  c.record(200, 0.5);    // <= 1 ms
  c.record(200, 1.0);    // a bound belongs to its own bucket
  c.record(504, 30000);  // beyond the last bound
  c.record(503, 0);      // a refusal at the door
  EXPECT_EQ(c.responses_by_status.at(200), 2u);
  EXPECT_EQ(c.responses_by_status.at(503), 1u);
  EXPECT_EQ(c.responses_by_status.at(504), 1u);
  EXPECT_EQ(c.latency_buckets[0], 3u);
  EXPECT_EQ(c.latency_buckets.back(), 1u);
  EXPECT_EQ(c.answers(), 4u);
  std::uint64_t in_buckets = 0;
  for (auto n : c.latency_buckets) in_buckets += n;
  EXPECT_EQ(in_buckets, c.answers());
  EXPECT_DOUBLE_EQ(c.latency_sum_ms, 30001.5);
}

TEST(RouteCounters, BucketBoundsAreInclusive) {
  RouteCounters c;
  c.record(200, 5.0);
  c.record(200, 5.001);
  EXPECT_EQ(c.latency_buckets[1], 1u);  // (1, 5]
  EXPECT_EQ(c.latency_buckets[2], 1u);  // (5, 10]
}

}  // namespace
}  // namespace hserver::service
