#pragma once
/// @brief The global bound on the bytes the service holds in requests and answers. Without it, bodies
/// waiting for a worker add up to body_limit x connections x pipelining (tens of GiB with the defaults).
///
/// A request reserves its bytes when its header has been read (Content-Length, or chunk by chunk as a
/// chunked body grows) and keeps them until its answer has been written or it is dropped; an answer from
/// 1C adds its bytes while it is held. The bytes are a Reservation, which moves with the request and its
/// answer and gives them back when destroyed, whatever the path (answered, client gone, 504, 502, stop).

#include <atomic>
#include <cstdint>
#include <memory>

namespace hserver::service {

class MemoryBudget : public std::enable_shared_from_this<MemoryBudget> {
 public:
  /// @brief Bytes held on behalf of one request (and its answer). Move-only; empty when default-made.
  /// Not thread-safe itself (one owner at a time); the budget it draws on is.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&& other) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation() { release(); }

    /// Adds `bytes` if the budget has room for them; false (and nothing changes) otherwise.
    [[nodiscard]] bool try_grow(std::uint64_t bytes);
    /// Adds `bytes` even beyond the budget: for bytes that are already in memory (an answer from 1C),
    /// which refusing would not free. New requests are refused until they are given back.
    void grow_anyway(std::uint64_t bytes);
    /// Takes over what `other` holds (the same budget, or `other` empty).
    void absorb(Reservation&& other);
    void release() noexcept;

    std::uint64_t bytes() const noexcept { return bytes_; }

   private:
    friend class MemoryBudget;
    explicit Reservation(std::shared_ptr<MemoryBudget> budget) : budget_(std::move(budget)) {}
    std::shared_ptr<MemoryBudget> budget_;  // keeps the counter alive as long as anything is held on it
    std::uint64_t bytes_ = 0;
  };

  explicit MemoryBudget(std::uint64_t limit) : limit_(limit) {}

  /// An empty reservation on this budget, to grow. The budget must be owned by a shared_ptr.
  Reservation open() { return Reservation{shared_from_this()}; }

  std::uint64_t limit() const noexcept { return limit_; }
  std::uint64_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  std::uint64_t peak() const noexcept { return peak_.load(std::memory_order_relaxed); }

 private:
  bool take(std::uint64_t bytes) noexcept;
  void take_anyway(std::uint64_t bytes) noexcept;
  void give_back(std::uint64_t bytes) noexcept { in_use_.fetch_sub(bytes, std::memory_order_relaxed); }
  void note_peak(std::uint64_t now) noexcept;

  const std::uint64_t limit_;
  std::atomic<std::uint64_t> in_use_{0};
  std::atomic<std::uint64_t> peak_{0};
};

}  // namespace hserver::service
