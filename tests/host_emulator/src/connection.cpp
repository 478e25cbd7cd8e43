#include "hserver/host/connection.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "hserver/host/text.hpp"

namespace hserver::host {
namespace {

Connection& owner(abi::HostInterface* self) {
  return *static_cast<Connection*>(self->owner);
}

// Entry points the add-in reaches through the vtable; `this` first, no exception may escape.

bool HSERVER_HOST_CALL add_error(abi::HostInterface* self, unsigned short code, const abi::WChar* source,
                                 const abi::WChar* descr, long scode) {
  try {
    return owner(self).add_error(code, source, descr, scode);
  } catch (...) {
    return false;
  }
}

bool HSERVER_HOST_CALL read_profile(abi::HostInterface*, abi::WChar*, abi::Variant*, long*, abi::WChar**) {
  return false;  // no profile storage in the emulator
}

bool HSERVER_HOST_CALL write_profile(abi::HostInterface*, abi::WChar*, abi::Variant*) {
  return false;
}

bool HSERVER_HOST_CALL register_profile_as(abi::HostInterface*, abi::WChar*) {
  return false;
}

bool HSERVER_HOST_CALL set_event_buffer_depth(abi::HostInterface* self, long depth) {
  try {
    return owner(self).set_event_buffer_depth(depth);
  } catch (...) {
    return false;
  }
}

long HSERVER_HOST_CALL get_event_buffer_depth(abi::HostInterface* self) {
  try {
    return owner(self).get_event_buffer_depth();
  } catch (...) {
    return 1;
  }
}

bool HSERVER_HOST_CALL external_event(abi::HostInterface* self, abi::WChar* source, abi::WChar* event,
                                      abi::WChar* data) {
  try {
    return owner(self).external_event(source, event, data);
  } catch (...) {
    return false;
  }
}

void HSERVER_HOST_CALL clean_event_buffer(abi::HostInterface* self) {
  try {
    owner(self).clean_event_buffer();
  } catch (...) {
  }
}

bool HSERVER_HOST_CALL set_status_line(abi::HostInterface* self, abi::WChar* text) {
  try {
    return owner(self).set_status_line(text);
  } catch (...) {
    return false;
  }
}

void HSERVER_HOST_CALL reset_status_line(abi::HostInterface* self) {
  try {
    owner(self).reset_status_line();
  } catch (...) {
  }
}

/// No IMsgBox / IPlatformInfo / IAttachedInfo in the emulator: the add-in must cope with null.
void* HSERVER_HOST_CALL get_interface(abi::HostInterface*, int) {
  return nullptr;
}

void HSERVER_HOST_CALL destructor_slot(abi::HostInterface*) {
  std::fputs("1c-host-emulator: the add-in called a destructor slot of IAddInDefBase\n", stderr);
  std::abort();
}

const abi::Slot* vtable() {
  static const auto table = [] {
    std::array<abi::Slot, abi::kAddInDefBaseSlots> slots{};
    for (int i = 0; i < abi::kDestructorSlots; ++i) slots[i] = reinterpret_cast<abi::Slot>(&destructor_slot);
    slots[abi::kAddError] = reinterpret_cast<abi::Slot>(&add_error);
    slots[abi::kRead] = reinterpret_cast<abi::Slot>(&read_profile);
    slots[abi::kWrite] = reinterpret_cast<abi::Slot>(&write_profile);
    slots[abi::kRegisterProfileAs] = reinterpret_cast<abi::Slot>(&register_profile_as);
    slots[abi::kSetEventBufferDepth] = reinterpret_cast<abi::Slot>(&set_event_buffer_depth);
    slots[abi::kGetEventBufferDepth] = reinterpret_cast<abi::Slot>(&get_event_buffer_depth);
    slots[abi::kExternalEvent] = reinterpret_cast<abi::Slot>(&external_event);
    slots[abi::kCleanEventBuffer] = reinterpret_cast<abi::Slot>(&clean_event_buffer);
    slots[abi::kSetStatusLine] = reinterpret_cast<abi::Slot>(&set_status_line);
    slots[abi::kResetStatusLine] = reinterpret_cast<abi::Slot>(&reset_status_line);
    slots[abi::kGetInterface] = reinterpret_cast<abi::Slot>(&get_interface);
    return slots;
  }();
  return table.data();
}

}  // namespace

Connection::Connection(Violations& violations) : violations_(violations), interface_{vtable(), this} {}

void Connection::set_deliver_events(bool deliver) {
  const std::lock_guard lock(mutex_);
  deliver_events_ = deliver;
}

std::optional<ExternalEvent> Connection::take_event(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!event_ready_.wait_for(lock, timeout, [&] { return !queue_.empty(); })) return std::nullopt;
  ExternalEvent event = std::move(queue_.front());
  queue_.pop_front();
  ++delivered_;
  return event;
}

std::size_t Connection::queued_events() const {
  const std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t Connection::accepted_events() const {
  const std::lock_guard lock(mutex_);
  return accepted_;
}

std::size_t Connection::delivered_events() const {
  const std::lock_guard lock(mutex_);
  return delivered_;
}

std::size_t Connection::dropped_events() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

std::size_t Connection::refused_events() const {
  const std::lock_guard lock(mutex_);
  return refused_;
}

long Connection::buffer_depth() const {
  const std::lock_guard lock(mutex_);
  return depth_;
}

void Connection::set_buffer_depth(long depth) {
  const std::lock_guard lock(mutex_);
  depth_ = depth < 1 ? 1 : depth;
}

void Connection::begin_call() {
  const std::lock_guard lock(mutex_);
  call_errors_.clear();
}

std::vector<AddErrorRecord> Connection::end_call() {
  const std::lock_guard lock(mutex_);
  return std::exchange(call_errors_, {});
}

std::vector<AddErrorRecord> Connection::all_errors() const {
  const std::lock_guard lock(mutex_);
  return all_errors_;
}

bool Connection::add_error(unsigned short code, const abi::WChar* source, const abi::WChar* descr, long scode) {
  if (descr == nullptr) violations_.add("AddError with a null description");
  const auto source16 = from_wide(source);
  const auto descr16 = from_wide(descr);
  if (!to_utf8(source16) || !to_utf8(descr16)) violations_.add("AddError with invalid UTF-16");
  AddErrorRecord record{code, to_utf8_lossy(source16), to_utf8_lossy(descr16), scode};
  const std::lock_guard lock(mutex_);
  call_errors_.push_back(record);
  all_errors_.push_back(std::move(record));
  return true;
}

bool Connection::set_event_buffer_depth(long depth) {
  if (depth < 1) return false;
  const std::lock_guard lock(mutex_);
  depth_ = depth;
  return true;
}

long Connection::get_event_buffer_depth() {
  const std::lock_guard lock(mutex_);
  return depth_;
}

bool Connection::external_event(const abi::WChar* source, const abi::WChar* event, const abi::WChar* data) {
  if (source == nullptr || event == nullptr || data == nullptr) {
    violations_.add("ExternalEvent with a null string");
    return false;
  }
  const auto source8 = to_utf8(from_wide(source));
  const auto event8 = to_utf8(from_wide(event));
  const auto data8 = to_utf8(from_wide(data));
  if (!source8 || !event8 || !data8) {
    violations_.add("ExternalEvent with invalid UTF-16");
    return false;
  }
  {
    const std::lock_guard lock(mutex_);
    if (!deliver_events_) {
      ++refused_;
      return false;
    }
    if (queue_.size() >= static_cast<std::size_t>(depth_)) {
      ++dropped_;
      return false;
    }
    queue_.push_back(ExternalEvent{*source8, *event8, *data8});
    ++accepted_;
  }
  event_ready_.notify_one();
  return true;
}

void Connection::clean_event_buffer() {
  const std::lock_guard lock(mutex_);
  queue_.clear();
}

bool Connection::set_status_line(const abi::WChar* text) {
  const std::lock_guard lock(mutex_);
  status_line_ = to_utf8_lossy(from_wide(text));
  return true;
}

void Connection::reset_status_line() {
  const std::lock_guard lock(mutex_);
  status_line_.clear();
}

}  // namespace hserver::host
