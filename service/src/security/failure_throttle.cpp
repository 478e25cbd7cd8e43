#include "security/failure_throttle.hpp"

#include <algorithm>

namespace hserver::service {

std::string FailureThrottle::key_of(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return {bytes.begin(), bytes.end()};
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return key_of(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  const auto bytes = v6.to_bytes();
  return {bytes.begin(), bytes.begin() + 8};  // the /64
}

std::chrono::seconds FailureThrottle::blocked_for(const boost::asio::ip::address& address,
                                                  Clock::time_point now) const {
  if (limits_.max_failures == 0) return std::chrono::seconds{0};
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key_of(address));
  if (it == entries_.end() || expired(it->second, now) || it->second.failures < limits_.max_failures) {
    return std::chrono::seconds{0};
  }
  const auto left = it->second.window_start + limits_.window - now;
  return std::max(std::chrono::seconds{1}, std::chrono::ceil<std::chrono::seconds>(left));
}

void FailureThrottle::record_failure(const boost::asio::ip::address& address, Clock::time_point now) {
  if (limits_.max_failures == 0) return;
  std::string key = key_of(address);
  std::lock_guard lock(mutex_);
  if (const auto it = entries_.find(key); it != entries_.end()) {
    if (expired(it->second, now)) it->second = Entry{now, 0};
    ++it->second.failures;
    return;
  }
  if (entries_.size() >= limits_.max_addresses) {
    // Only after a verification has failed does an address get here, so the sweep is rare and cheap next
    // to the verification that preceded it.
    std::erase_if(entries_, [&](const auto& entry) { return expired(entry.second, now); });
    if (entries_.size() >= limits_.max_addresses) {
      const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.window_start < b.second.window_start;
      });
      entries_.erase(oldest);
    }
  }
  entries_.emplace(std::move(key), Entry{now, 1});
}

std::size_t FailureThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace hserver::service
