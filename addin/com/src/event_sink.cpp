#include "hserver/addin/com/event_sink.hpp"

#include <utility>

#include "hserver/addin/com/variant_convert.hpp"

namespace hserver::addin::com {
namespace {

/// The message that says "events are queued". WM_APP range: private to our window.
constexpr UINT kEventsQueued = WM_APP + 0x1C;
/// The timer that retries an event 1C refused, and its period.
constexpr UINT_PTR kRetryTimer = 0x1C;
constexpr UINT kRetryMilliseconds = 50;

/// A BSTR that frees itself (ExternalEvent's arguments stay ours: 1C copies what it keeps).
struct OwnedBstr {
  BSTR text;
  explicit OwnedBstr(const std::u16string& value) noexcept : text(u16_to_bstr(value)) {}
  ~OwnedBstr() { SysFreeString(text); }
  OwnedBstr(const OwnedBstr&) = delete;
  OwnedBstr& operator=(const OwnedBstr&) = delete;
};

}  // namespace

ComEventSink::~ComEventSink() {
  detach();
}

bool ComEventSink::attach(IAsyncEvent* events) noexcept {
  detach();
  sta_thread_ = GetCurrentThreadId();
  if (events != nullptr) events->AddRef();
  events_ = events;
  refresh_depth();
  // A system class ("STATIC") subclassed here, rather than a class of our own: a class registered by a
  // dll outlives the dll's unloading, and a later load at another address would find a stale procedure.
  HWND window =
      CreateWindowExW(0, L"STATIC", L"1CHServer events", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr, module_, nullptr);
  if (window == nullptr) return false;
  SetWindowLongPtrW(window, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(this));
  previous_proc_ = reinterpret_cast<WNDPROC>(
      SetWindowLongPtrW(window, GWLP_WNDPROC, reinterpret_cast<LONG_PTR>(&ComEventSink::window_proc)));
  const std::lock_guard lock(mutex_);
  window_ = window;
  return true;
}

void ComEventSink::detach() noexcept {
  HWND window = nullptr;
  {
    const std::lock_guard lock(mutex_);
    window = std::exchange(window_, nullptr);
    queue_.clear();
  }
  // Destroying the window discards messages still posted to it; raises from now on are refused.
  if (window != nullptr) DestroyWindow(window);
  if (events_ != nullptr) std::exchange(events_, nullptr)->Release();
  depth_.store(1);
}

void ComEventSink::withdraw_events() {
  {
    const std::lock_guard lock(mutex_);
    queue_.clear();
    if (window_ != nullptr) KillTimer(window_, kRetryTimer);
  }
  if (events_ != nullptr && GetCurrentThreadId() == sta_thread_) events_->CleanBuffer();
}

void ComEventSink::refresh_depth() noexcept {
  if (events_ == nullptr || GetCurrentThreadId() != sta_thread_) return;
  long depth = 1;
  if (SUCCEEDED(events_->GetEventBufferDepth(&depth))) depth_.store(depth < 1 ? 1 : depth);
}

bool ComEventSink::raise_event(const std::string& source, const std::string& event, const std::string& data) {
  Event item{utf8_to_utf16_lossy(source), utf8_to_utf16_lossy(event), utf8_to_utf16_lossy(data)};
  if (GetCurrentThreadId() == sta_thread_) {
    flush();
    {
      const std::lock_guard lock(mutex_);
      if (window_ == nullptr) return false;
      if (!queue_.empty()) {
        // An older event waits for a retry: this one goes behind it, so 1C sees them in order.
        queue_.push_back(std::move(item));
        return true;
      }
    }
    // 1C's own answer: a refusal here is the core's to retry.
    return call_1c(item);
  }
  const std::lock_guard lock(mutex_);
  if (window_ == nullptr) return false;
  queue_.push_back(std::move(item));
  // One message per batch is enough: the window procedure drains the whole queue.
  if (queue_.size() == 1 && !PostMessageW(window_, kEventsQueued, 0, 0)) {
    queue_.pop_back();
    return false;
  }
  return true;
}

void ComEventSink::flush() noexcept {
  for (;;) {
    Event item;
    {
      const std::lock_guard lock(mutex_);
      if (queue_.empty() || window_ == nullptr) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!call_1c(item)) {
      // 1C's buffer is full of events that are not ours (or 1C is busy): keep the event first in line
      // and try again shortly, as the core does for a refusal it sees. Never dropped: the request
      // behind it is already marked taken.
      retried_.fetch_add(1);
      const std::lock_guard lock(mutex_);
      if (window_ == nullptr) return;
      queue_.push_front(std::move(item));
      SetTimer(window_, kRetryTimer, kRetryMilliseconds, nullptr);
      return;
    }
  }
}

bool ComEventSink::call_1c(const Event& event) noexcept {
  if (events_ == nullptr) return false;
  const OwnedBstr source(event.source);
  const OwnedBstr name(event.name);
  const OwnedBstr data(event.data);
  if (source.text == nullptr || name.text == nullptr || data.text == nullptr) return false;
  return SUCCEEDED(events_->ExternalEvent(source.text, name.text, data.text));
}

LRESULT CALLBACK ComEventSink::window_proc(HWND window, UINT message, WPARAM wparam, LPARAM lparam) {
  auto* self = reinterpret_cast<ComEventSink*>(GetWindowLongPtrW(window, GWLP_USERDATA));
  if (self == nullptr) return DefWindowProcW(window, message, wparam, lparam);
  if (message == WM_TIMER && wparam == kRetryTimer) {
    KillTimer(window, kRetryTimer);
    self->refresh_depth();
    self->flush();
    return 0;
  }
  if (message == kEventsQueued) {
    self->refresh_depth();
    self->flush();
    return 0;
  }
  return CallWindowProcW(self->previous_proc_, window, message, wparam, lparam);
}

}  // namespace hserver::addin::com
