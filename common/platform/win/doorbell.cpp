// Windows doorbell: a named auto-reset event `Global\<name>` beside the DoorbellWord. The word's sequence
// and waiter count keep the fast path free of system calls exactly as the POSIX futex version does; the
// event only carries the wake-up.
#include "hserver/common/platform/doorbell.hpp"

#include "win_util.hpp"

namespace hserver::platform {

struct Doorbell::Native {
  win::UniqueHandle event;
};

namespace {

constexpr DWORD kUserRights = EVENT_MODIFY_STATE | SYNCHRONIZE;  // SetEvent + wait, nothing more

}  // namespace

Doorbell::Doorbell(shm::DoorbellWord& word, std::unique_ptr<Native> native) noexcept
    : word_(&word), native_(std::move(native)) {}
Doorbell::Doorbell(Doorbell&&) noexcept = default;
Doorbell& Doorbell::operator=(Doorbell&&) noexcept = default;
Doorbell::~Doorbell() = default;

Expected<Doorbell, std::string> Doorbell::create(shm::DoorbellWord& word, const std::string& name,
                                                 const SegmentAccess& access) {
  auto security = win::make_security(access, kUserRights);
  if (!security) return Unexpected{"cannot create doorbell '" + name + "': " + security.error()};
  const std::wstring object = win::object_name(name);
  // An event that still exists (held by an add-in of a previous run) is reused: an auto-reset event has
  // no state worth protecting, and a stray signal only causes one spurious wake-up, which wait() allows.
  HANDLE event = ::CreateEventW(&(*security)->attributes, FALSE, FALSE, object.c_str());
  if (event == nullptr)
    return Unexpected{win::describe_error("cannot create doorbell '" + name + "'", ::GetLastError())};
  auto native = std::make_unique<Native>();
  native->event.reset(event);
  return Doorbell(word, std::move(native));
}

Expected<Doorbell, std::string> Doorbell::open(shm::DoorbellWord& word, const std::string& name) {
  const std::wstring object = win::object_name(name);
  HANDLE event = ::OpenEventW(kUserRights, FALSE, object.c_str());
  if (event == nullptr) return Unexpected{win::describe_error("cannot open doorbell '" + name + "'", ::GetLastError())};
  auto native = std::make_unique<Native>();
  native->event.reset(event);
  return Doorbell(word, std::move(native));
}

void Doorbell::ring() noexcept {
  word_->sequence.fetch_add(1, std::memory_order_seq_cst);
  // Dekker pair with wait(): either the waiter sees the new sequence, or we see its waiter count.
  if (word_->waiters.load(std::memory_order_seq_cst) != 0) ::SetEvent(native_->event.get());
}

void Doorbell::wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept {
  if (timeout.count() <= 0) return;
  word_->waiters.fetch_add(1, std::memory_order_seq_cst);
  if (word_->sequence.load(std::memory_order_seq_cst) == seen) {
    // Bounded below INFINITE (0xFFFFFFFF) so a huge timeout never means "forever".
    const auto ms = static_cast<DWORD>(timeout.count() < 0x7fffffff ? timeout.count() : 0x7fffffff);
    ::WaitForSingleObject(native_->event.get(), ms);  // a stale signal is a spurious return: callers re-check
  }
  word_->waiters.fetch_sub(1, std::memory_order_seq_cst);
}

}  // namespace hserver::platform
