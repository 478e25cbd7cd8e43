#include "dispatch/request_timeline.hpp"

#include <gtest/gtest.h>

namespace hserver::service {
namespace {

using namespace std::chrono_literals;

class RequestTimelineTest : public ::testing::Test {
 protected:
  RequestTimelineTest() {
    route_.request_timeout = 30s;
    route_.no_worker_wait = 2s;
    route_.hold_time = 300s;
  }
  RouteConfig route_;
  DispatchClock::time_point t0_ = DispatchClock::now();
};

TEST_F(RequestTimelineTest, InAWorkersHandsOnlyTheDeadlineCounts) {
  const RequestTimeline t(t0_, route_);
  const RequestWhereabouts in_hand{.in_hand = true, .route_paused = true, .workers_attached = true};
  EXPECT_EQ(t.next_check(in_hand, route_), t0_ + 30s);  // a pause does not stop a request 1C already has
  EXPECT_EQ(t.due(in_hand, route_, t0_ + 29s), RequestDue::nothing);
  EXPECT_EQ(t.due(in_hand, route_, t0_ + 30s), RequestDue::answer_timeout);
}

TEST_F(RequestTimelineTest, QueuedWithoutWorkersWaitsNoWorkerWaitThen503) {
  const RequestTimeline t(t0_, route_);
  const RequestWhereabouts alone{};
  EXPECT_EQ(t.next_check(alone, route_), t0_ + 2s);
  EXPECT_EQ(t.due(alone, route_, t0_ + 1s), RequestDue::nothing);
  EXPECT_EQ(t.due(alone, route_, t0_ + 2s), RequestDue::no_worker);
}

TEST_F(RequestTimelineTest, ADeadlineShorterThanTheNoWorkerWaitComesFirst) {
  route_.request_timeout = 1s;
  const RequestTimeline t(t0_, route_);
  EXPECT_EQ(t.next_check({}, route_), t0_ + 1s);
  EXPECT_EQ(t.due({}, route_, t0_ + 1s), RequestDue::no_free_worker);
}

TEST_F(RequestTimelineTest, QueuedWithBusyWorkersGets504AtTheDeadlineNot503) {
  const RequestTimeline t(t0_, route_);
  const RequestWhereabouts busy{.workers_attached = true};
  EXPECT_EQ(t.next_check(busy, route_), t0_ + 30s);
  EXPECT_EQ(t.due(busy, route_, t0_ + 5s), RequestDue::nothing);  // past no_worker_wait: workers exist
  EXPECT_EQ(t.due(busy, route_, t0_ + 30s), RequestDue::no_free_worker);
}

TEST_F(RequestTimelineTest, HeldByAPauseUntilHoldTimeBeyondItsDeadline) {
  const RequestTimeline t(t0_, route_);
  const RequestWhereabouts held{.route_paused = true};
  EXPECT_EQ(t.next_check(held, route_), t0_ + 300s);
  EXPECT_EQ(t.due(held, route_, t0_ + 31s), RequestDue::nothing);  // the deadline waits for the resume
  EXPECT_EQ(t.due(held, route_, t0_ + 300s), RequestDue::hold_expired);
}

TEST_F(RequestTimelineTest, AResumeGivesAFullDeadlineAndNoWorkerWaitFromThen) {
  RequestTimeline t(t0_, route_);
  const auto resumed = t0_ + 100s;
  t.restart_after_pause(resumed, route_);
  EXPECT_EQ(t.deadline(), resumed + 30s);
  EXPECT_EQ(t.next_check({}, route_), resumed + 2s);
  EXPECT_EQ(t.due({}, route_, resumed + 1s), RequestDue::nothing);
  EXPECT_EQ(t.due({}, route_, resumed + 2s), RequestDue::no_worker);
  EXPECT_EQ(t.arrived(), t0_);  // the hold and the latency still count from arrival
}

TEST_F(RequestTimelineTest, AQuickResumeNeverShortensADeadline) {
  RequestTimeline t(t0_, route_);
  route_.request_timeout = 10s;  // shortened by a reload meanwhile
  t.restart_after_pause(t0_ + 1s, route_);
  EXPECT_EQ(t.deadline(), t0_ + 30s);
}

}  // namespace
}  // namespace hserver::service
