#include "security/credential_checks.hpp"

#include <exception>
#include <string>

#include <spdlog/spdlog.h>

namespace hserver::service {

CredentialChecks::CredentialChecks(const CredentialCheckConfig& config, AuthStats& stats)
    : stats_(stats),
      throttle_({config.max_failures, config.failure_window, config.tracked_addresses}),
      pool_(config.verify_threads, config.verify_queue) {}

CredentialChecks::Decision CredentialChecks::check(std::shared_ptr<const RouteAccess> route,
                                                   const boost::asio::ip::address& remote,
                                                   std::string_view authorization, std::function<void(bool)> verified) {
  if (!route->requires_authentication()) return {Outcome::allowed};
  if (!route->presents_credentials(authorization)) return {Outcome::unauthorized};
  // Remembered values pass even from a throttled address: a legitimate client behind the same NAT as a
  // guesser keeps working, and only a value that verified can be remembered.
  if (route->remembered(authorization)) {
    stats_.cache_hits.fetch_add(1, std::memory_order_relaxed);
    return {Outcome::allowed};
  }
  if (const auto wait = throttle_.blocked_for(remote, FailureThrottle::Clock::now()); wait.count() > 0) {
    return {Outcome::throttled, wait};
  }
  stats_.queue_depth.fetch_add(1, std::memory_order_relaxed);
  const bool queued = pool_.try_post(
      [this, route = std::move(route), remote, value = std::string{authorization}, verified = std::move(verified)] {
        stats_.queue_depth.fetch_sub(1, std::memory_order_relaxed);
        bool ok = false;
        try {
          ok = route->verify(value);
        } catch (const std::exception& error) {
          // The crypto library failed (out of memory): refuse this request, but it is not a guess.
          spdlog::error("credential verification failed: {}", error.what());
          verified(false);
          return;
        }
        stats_.verifications.fetch_add(1, std::memory_order_relaxed);
        if (!ok) {
          stats_.verification_failures.fetch_add(1, std::memory_order_relaxed);
          throttle_.record_failure(remote, FailureThrottle::Clock::now());
          stats_.tracked_addresses.store(throttle_.tracked(), std::memory_order_relaxed);
        }
        verified(ok);
      });
  if (!queued) {
    stats_.queue_depth.fetch_sub(1, std::memory_order_relaxed);
    return {Outcome::busy, kBusyRetryAfter};
  }
  return {Outcome::pending};
}

}  // namespace hserver::service
