#pragma once
/// @brief Failed credential checks per client address, to refuse a guesser (429) before paying for
/// another verification. A fixed window per address: after `max_failures` failures within `window`
/// from its first failure, the address waits until the window ends. Bounded: at most `max_addresses`
/// entries; when full, expired entries go first, then the oldest. IPv6 clients are counted per /64
/// (one host usually has a whole /64 to pick from); IPv4-mapped IPv6 as the IPv4 address. Thread-safe.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace hserver::service {

class FailureThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::uint32_t max_failures = 10;  ///< 0: never throttle
    std::chrono::seconds window{60};
    std::size_t max_addresses = 10'000;
  };

  explicit FailureThrottle(Limits limits) : limits_(limits) {}

  /// @brief How long `address` must wait before its credentials are verified again; zero: go ahead.
  /// Whole seconds, rounded up (as Retry-After wants them).
  std::chrono::seconds blocked_for(const boost::asio::ip::address& address, Clock::time_point now) const;
  void record_failure(const boost::asio::ip::address& address, Clock::time_point now);
  std::size_t tracked() const;

 private:
  struct Entry {
    Clock::time_point window_start;
    std::uint32_t failures = 0;
  };
  static std::string key_of(const boost::asio::ip::address& address);
  bool expired(const Entry& entry, Clock::time_point now) const { return now - entry.window_start >= limits_.window; }

  const Limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace hserver::service
