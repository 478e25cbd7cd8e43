#include "http/memory_budget.hpp"

#include <utility>

namespace hserver::service {

MemoryBudget::Reservation::Reservation(Reservation&& other) noexcept
    : budget_(std::move(other.budget_)), bytes_(std::exchange(other.bytes_, 0)) {}

MemoryBudget::Reservation& MemoryBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = std::move(other.budget_);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

bool MemoryBudget::Reservation::try_grow(std::uint64_t bytes) {
  if (budget_ == nullptr || !budget_->take(bytes)) return false;
  bytes_ += bytes;
  return true;
}

void MemoryBudget::Reservation::grow_anyway(std::uint64_t bytes) {
  if (budget_ == nullptr) return;
  budget_->take_anyway(bytes);
  bytes_ += bytes;
}

void MemoryBudget::Reservation::absorb(Reservation&& other) {
  if (other.bytes_ == 0) return;
  if (budget_ == nullptr) budget_ = other.budget_;
  // Two budgets never meet in one service; if they did, moving bytes between them would corrupt both.
  if (budget_ != other.budget_) return;
  bytes_ += std::exchange(other.bytes_, 0);
}

void MemoryBudget::Reservation::release() noexcept {
  if (budget_ != nullptr && bytes_ != 0) budget_->give_back(bytes_);
  bytes_ = 0;
}

bool MemoryBudget::take(std::uint64_t bytes) noexcept {
  std::uint64_t now = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ || now > limit_ - bytes) return false;
  } while (!in_use_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
  note_peak(now + bytes);
  return true;
}

void MemoryBudget::take_anyway(std::uint64_t bytes) noexcept {
  note_peak(in_use_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void MemoryBudget::note_peak(std::uint64_t now) noexcept {
  std::uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

}  // namespace hserver::service
