#pragma once
/// @brief What credential checking did, for /metrics (the refusals it caused, 429 and 503, are counted
/// with the front's other refusals). Written from the I/O and verification threads; relaxed atomics.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hserver::service {

struct AuthStats {
  std::atomic<std::uint64_t> verifications{0};          ///< credentials verified on the pool (PBKDF2 for Basic)
  std::atomic<std::uint64_t> verification_failures{0};  ///< of those, wrong ones
  std::atomic<std::uint64_t> cache_hits{0};             ///< values remembered as verified: no verification run
  std::atomic<std::size_t> queue_depth{0};              ///< verifications waiting for a pool thread
  std::atomic<std::size_t> tracked_addresses{0};        ///< client addresses in the failure table
};

}  // namespace hserver::service
