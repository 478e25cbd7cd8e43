#include "hserver/common/platform/doorbell.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace hserver::platform {

struct Doorbell::Native {};  // the futex lives in the shared word itself

namespace {

// Not FUTEX_PRIVATE_FLAG: the word is shared between processes.
long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value, const timespec* timeout) noexcept {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr, 0);
}

}  // namespace

Doorbell::Doorbell(shm::DoorbellWord& word, std::unique_ptr<Native> native) noexcept
    : word_(&word), native_(std::move(native)) {}
Doorbell::Doorbell(Doorbell&&) noexcept = default;
Doorbell& Doorbell::operator=(Doorbell&&) noexcept = default;
Doorbell::~Doorbell() = default;

Expected<Doorbell, std::string> Doorbell::create(shm::DoorbellWord& word, const std::string&, const SegmentAccess&) {
  return Doorbell(word, nullptr);
}

Expected<Doorbell, std::string> Doorbell::open(shm::DoorbellWord& word, const std::string&) {
  return Doorbell(word, nullptr);
}

void Doorbell::ring() noexcept {
  word_->sequence.fetch_add(1, std::memory_order_seq_cst);
  // seq_cst on both sides (here and in wait) forms the Dekker pair: either the waiter sees the new
  // sequence before sleeping, or we see its waiter count and wake it.
  if (word_->waiters.load(std::memory_order_seq_cst) != 0) {
    futex(&word_->sequence, FUTEX_WAKE, INT_MAX, nullptr);
  }
}

void Doorbell::wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept {
  if (timeout.count() <= 0) return;
  word_->waiters.fetch_add(1, std::memory_order_seq_cst);
  if (word_->sequence.load(std::memory_order_seq_cst) == seen) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
    futex(&word_->sequence, FUTEX_WAIT, seen, &ts);  // EAGAIN / EINTR / ETIMEDOUT: the caller re-checks
  }
  word_->waiters.fetch_sub(1, std::memory_order_seq_cst);
}

}  // namespace hserver::platform
