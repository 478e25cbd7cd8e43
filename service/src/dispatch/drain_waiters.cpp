#include "dispatch/drain_waiters.hpp"

#include <algorithm>
#include <utility>

namespace hserver::service {

DrainWaiters::Ticket DrainWaiters::add(std::vector<std::size_t> routes, Done done) {
  waiting_.push_back(Waiter{++last_, std::move(routes), std::move(done)});
  return last_;
}

std::vector<DrainWaiters::Done> DrainWaiters::settle(const std::function<bool(std::size_t)>& route_idle) {
  std::vector<Done> settled;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (std::all_of(it->routes.begin(), it->routes.end(), route_idle)) {
      settled.push_back(std::move(it->done));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  return settled;
}

DrainWaiters::Done DrainWaiters::expire(Ticket ticket) {
  auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const Waiter& w) { return w.ticket == ticket; });
  if (it == waiting_.end()) return {};
  Done done = std::move(it->done);
  waiting_.erase(it);
  return done;
}

}  // namespace hserver::service
