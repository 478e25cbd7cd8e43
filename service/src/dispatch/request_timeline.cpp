#include "dispatch/request_timeline.hpp"

#include <algorithm>

namespace hserver::service {

void RequestTimeline::restart_after_pause(DispatchClock::time_point now, const RouteConfig& route) {
  deadline_ = std::max(deadline_, now + route.request_timeout);
  no_worker_until_ = std::max(no_worker_until_, now + route.no_worker_wait);
}

DispatchClock::time_point RequestTimeline::next_check(const RequestWhereabouts& where, const RouteConfig& route) const {
  if (where.in_hand) return deadline_;
  if (where.route_paused) return arrived_ + route.hold_time;  // held: the deadline waits for the resume
  if (!where.workers_attached) return std::min(deadline_, no_worker_until_);
  return deadline_;
}

RequestDue RequestTimeline::due(const RequestWhereabouts& where, const RouteConfig& route,
                                DispatchClock::time_point now) const {
  if (where.in_hand) return now >= deadline_ ? RequestDue::answer_timeout : RequestDue::nothing;
  if (where.route_paused) return now >= arrived_ + route.hold_time ? RequestDue::hold_expired : RequestDue::nothing;
  if (!where.workers_attached && now >= no_worker_until_) return RequestDue::no_worker;
  if (now >= deadline_) return RequestDue::no_free_worker;
  return RequestDue::nothing;
}

}  // namespace hserver::service
