#pragma once
/// @brief The deadlines of one request waiting in a route's queue or in a worker's hands, and what falls
/// due when its single timer fires. Pure functions of the clock: no timers, no locks, no I/O.
///
/// A request
/// - in a worker's hands gets 504 at its deadline (request_timeout after it arrived);
/// - held while the route is paused gets 503 + Retry-After once it has waited hold_time;
/// - queued while no worker is attached gets 503 after no_worker_wait;
/// - queued with workers attached but none free gets 504 at its deadline.
/// Resuming a paused route gives every held request a fresh deadline and no-worker wait.

#include <chrono>

#include "config.hpp"

namespace hserver::service {

using DispatchClock = std::chrono::steady_clock;

/// Where a request is when its timer is (re)armed or fires.
struct RequestWhereabouts {
  bool in_hand = false;           ///< a worker has it
  bool route_paused = false;      ///< its route is paused
  bool workers_attached = false;  ///< its route has at least one worker
};

enum class RequestDue {
  nothing,         ///< re-arm at next_check()
  answer_timeout,  ///< in hand past its deadline: 504, cancel sent to the worker
  hold_expired,    ///< held by a pause for hold_time: 503 + Retry-After
  no_worker,       ///< no worker attached within no_worker_wait: 503
  no_free_worker,  ///< queued past its deadline with workers busy: 504
};

class RequestTimeline {
 public:
  RequestTimeline(DispatchClock::time_point arrived, const RouteConfig& route)
      : arrived_(arrived),
        deadline_(arrived + route.request_timeout),
        no_worker_until_(arrived + route.no_worker_wait) {}

  DispatchClock::time_point arrived() const { return arrived_; }
  DispatchClock::time_point deadline() const { return deadline_; }

  /// @brief The route was resumed at `now`: a held request gets a full deadline and no-worker wait from now
  /// (never a shorter one than it had).
  void restart_after_pause(DispatchClock::time_point now, const RouteConfig& route);

  /// @brief When the request's timer must fire next.
  DispatchClock::time_point next_check(const RequestWhereabouts& where, const RouteConfig& route) const;

  /// @brief What falls due at `now` (the timer fired, perhaps early or late).
  RequestDue due(const RequestWhereabouts& where, const RouteConfig& route, DispatchClock::time_point now) const;

 private:
  DispatchClock::time_point arrived_;
  DispatchClock::time_point deadline_;         // 504 after it
  DispatchClock::time_point no_worker_until_;  // 503 after it while no worker is attached
};

}  // namespace hserver::service
