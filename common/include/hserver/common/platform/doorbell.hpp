#pragma once
/// @brief Kernel-blocking wake-ups over a DoorbellWord in shared memory. A waiter uses no CPU; ring()
/// costs one atomic increment and, only when someone waits, one system call.
///
/// POSIX: a process-shared futex on the word itself; the name is unused. Windows: a named auto-reset
/// event beside the word (`Global\<name>`), created by the service with the segment's DACL and opened by
/// add-ins. With several waiters on one bell (add-ins waiting for an attach answer) Windows wakes one per
/// ring; the others re-check at their next timeout, which every waiter bounds.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "hserver/common/expected.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/shm/layout.hpp"

namespace hserver::platform {

class Doorbell {
 public:
  /// @brief Creator side (the service): set up the kernel object behind `word`.
  static Expected<Doorbell, std::string> create(shm::DoorbellWord& word, const std::string& name,
                                                const SegmentAccess& access);
  /// @brief Opener side (an add-in): attach to the kernel object the creator made.
  static Expected<Doorbell, std::string> open(shm::DoorbellWord& word, const std::string& name);

  Doorbell(Doorbell&&) noexcept;
  Doorbell& operator=(Doorbell&&) noexcept;
  ~Doorbell();

  /// @brief The current sequence: read it before checking for work, then wait(seen) if there was none,
  /// so a ring in between is never missed.
  std::uint32_t sequence() const noexcept { return word_->sequence.load(std::memory_order_seq_cst); }

  /// @brief Wake the waiters. Safe from any thread of any process that maps the word.
  void ring() noexcept;

  /// @brief Sleep until the sequence differs from `seen` or `timeout` passes (spurious returns allowed).
  void wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept;

 private:
  struct Native;  ///< the OS object behind the word (none on POSIX)
  Doorbell(shm::DoorbellWord& word, std::unique_ptr<Native> native) noexcept;
  shm::DoorbellWord* word_;
  std::unique_ptr<Native> native_;
};

}  // namespace hserver::platform
