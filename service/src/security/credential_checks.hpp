#pragma once
/// @brief Credential checking as the HTTP front runs it: the cheap steps on the calling (I/O) thread,
/// the costly verification (PBKDF2 for Basic) on a small pool of its own, a per-address throttle of
/// failures in front of it, everything counted in AuthStats. One per HttpServer, shared by its routes.
///
///   no credentials in an accepted scheme  -> unauthorized (401), at once
///   a value remembered as verified         -> allowed, at once
///   an address with too many failures      -> throttled (429 + Retry-After), nothing verified
///   the pool's queue full                  -> busy (503 + Retry-After), nothing verified
///   otherwise                              -> pending: `verified(bool)` runs later on a pool thread

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "security/access.hpp"
#include "security/auth_stats.hpp"
#include "security/failure_throttle.hpp"
#include "security/verification_pool.hpp"

namespace hserver::service {

class CredentialChecks {
 public:
  enum class Outcome { allowed, unauthorized, throttled, busy, pending };
  struct Decision {
    Outcome outcome = Outcome::unauthorized;
    std::chrono::seconds retry_after{0};  ///< throttled and busy: when to come back
  };
  /// The Retry-After of a busy answer: the queue is short, a second is plenty for it to move.
  static constexpr std::chrono::seconds kBusyRetryAfter{1};

  /// @brief `stats` must outlive this object.
  CredentialChecks(const CredentialCheckConfig& config, AuthStats& stats);
  CredentialChecks(const CredentialChecks&) = delete;
  CredentialChecks& operator=(const CredentialChecks&) = delete;

  /// @brief The credentials `authorization` carries for `route` from `remote` (the route's allow-list
  /// is the caller's business). When the outcome is pending, `verified` is called once, on a pool
  /// thread, with the verdict; never otherwise. Queued verifications are dropped unrun (and `verified`
  /// with them) when this object is destroyed.
  Decision check(std::shared_ptr<const RouteAccess> route, const boost::asio::ip::address& remote,
                 std::string_view authorization, std::function<void(bool)> verified);

 private:
  AuthStats& stats_;
  FailureThrottle throttle_;
  VerificationPool pool_;  // last: its threads stop first, while what their jobs use still exists
};

}  // namespace hserver::service
