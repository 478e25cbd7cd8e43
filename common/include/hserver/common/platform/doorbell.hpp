#pragma once
/// @brief Kernel-blocking wake-ups over a DoorbellWord in shared memory (Linux: a process-shared futex).
/// A waiter uses no CPU; ring() costs one atomic increment and, only when someone waits, one system call.

#include <chrono>
#include <cstdint>

#include "hserver/common/shm/layout.hpp"

namespace hserver::platform {

class Doorbell {
 public:
  /// @param word lives in a mapped segment that outlives this object.
  explicit Doorbell(shm::DoorbellWord& word) noexcept : word_(&word) {}

  /// @brief The current sequence: read it before checking for work, then wait(seen) if there was none,
  /// so a ring in between is never missed.
  std::uint32_t sequence() const noexcept { return word_->sequence.load(std::memory_order_seq_cst); }

  /// @brief Wake every waiter. Safe from any thread of any process that maps the word.
  void ring() noexcept;

  /// @brief Sleep until the sequence differs from `seen` or `timeout` passes (spurious returns allowed).
  void wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept;

 private:
  shm::DoorbellWord* word_;
};

}  // namespace hserver::platform
