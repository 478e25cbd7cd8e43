#pragma once
/// @brief What the HTTP front refused or cut, by reason, for /metrics: the limits, bad requests and
/// failed authentication never reach dispatch, so dispatch's counters cannot show them. Thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "security/auth_stats.hpp"

namespace hserver::service {

class FrontStats {
 public:
  enum class Reason : std::size_t {
    malformed,                ///< 400
    unauthorized,             ///< 401
    forbidden,                ///< 403 (allow-list)
    no_route,                 ///< 404
    read_timeout,             ///< 408 (a slow client: the request did not arrive in time)
    body_too_large,           ///< 413
    headers_too_large,        ///< 431
    too_many_connections,     ///< 503 and close
    idle_timeout,             ///< a keep-alive connection closed after the idle time
    write_timeout,            ///< a client that did not read its answer
    requests_per_connection,  ///< connection closed after its allowed number of requests
    tls_handshake,            ///< a TLS handshake that failed (plain HTTP to a TLS port, bad versions...)
    bad_framing,              ///< 400/501 and close: Transfer-Encoding, Content-Length or Host per RFC 9112
    bad_path,                 ///< 400 and close: a path with an ambiguous encoding (path_normalization.hpp)
    memory_budget,            ///< 503: the request did not fit in memory_budget_bytes
    method_not_allowed,       ///< 405 (a legacy route given another method than GET or HEAD)
    auth_throttled,           ///< 429: too many failed credentials from the address, nothing verified
    auth_busy,                ///< 503: the credential verification queue was full
    count_
  };
  static constexpr std::array<std::string_view, static_cast<std::size_t>(Reason::count_)> kNames{
      "malformed",
      "unauthorized",
      "forbidden",
      "no_route",
      "read_timeout",
      "body_too_large",
      "headers_too_large",
      "too_many_connections",
      "idle_timeout",
      "write_timeout",
      "requests_per_connection",
      "tls_handshake",
      "bad_framing",
      "bad_path",
      "memory_budget",
      "method_not_allowed",
      "auth_throttled",
      "auth_busy"};

  void count(Reason reason) noexcept {
    counters_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t value(Reason reason) const noexcept {
    return counters_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }

  /// Failed authentication attempts of one route (401 answers).
  void auth_failure(const std::string& route) {
    count(Reason::unauthorized);
    std::lock_guard lock(mutex_);
    ++auth_failures_[route];
  }
  std::map<std::string, std::uint64_t> auth_failures() const {
    std::lock_guard lock(mutex_);
    return auth_failures_;
  }

  /// @brief An answer the front gave itself (every refusal: 400, 401, 404, 405, 413, 429, 503...), by the
  /// route it was for ("" when none was chosen yet). With dispatch's counts it makes hserver_requests_total
  /// count every answer.
  void answered(const std::string& route, std::uint16_t status) {
    std::lock_guard lock(mutex_);
    ++answers_[{route, status}];
  }
  std::map<std::pair<std::string, std::uint16_t>, std::uint64_t> answers() const {
    std::lock_guard lock(mutex_);
    return answers_;
  }

  /// Credential verification (CredentialChecks writes it).
  AuthStats auth;

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Reason::count_)> counters_{};
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> auth_failures_;
  std::map<std::pair<std::string, std::uint16_t>, std::uint64_t> answers_;
};

}  // namespace hserver::service
