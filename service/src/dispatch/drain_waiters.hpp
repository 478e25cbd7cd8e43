#pragma once
/// @brief Drains in progress (1chserverctl drain): each covers some routes and is settled exactly once —
/// true as soon as none of its routes has a request in a worker's hands, false when its timeout fires
/// first. Holds no timers and no lock: the dispatcher arms the timeout and guards this with its lock.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace hserver::service {

class DrainWaiters {
 public:
  using Done = std::function<void(bool drained)>;
  using Ticket = std::uint64_t;

  /// @brief A drain of `routes`; the ticket names it to expire().
  Ticket add(std::vector<std::size_t> routes, Done done);

  /// @brief Takes out every drain whose routes are all idle (`route_idle(index)`); the caller calls each
  /// returned Done with true, outside its lock.
  std::vector<Done> settle(const std::function<bool(std::size_t)>& route_idle);

  /// @brief The drain's timeout fired: its Done (to call with false), or an empty one if it was settled.
  Done expire(Ticket ticket);

  std::size_t size() const { return waiting_.size(); }

 private:
  struct Waiter {
    Ticket ticket;
    std::vector<std::size_t> routes;
    Done done;
  };
  std::vector<Waiter> waiting_;
  Ticket last_ = 0;
};

}  // namespace hserver::service
