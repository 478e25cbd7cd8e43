#pragma once
/// @brief Bridges Core's events to 1C's IAsyncEvent under COM's threading rules.
///
/// 1C (an STA) may be called only on the thread that called Init. The core raises events from its
/// channel thread, so the sink queues them and posts a message to a message-only window it created on
/// that thread; the window procedure (run by 1C's own message loop) calls ExternalEvent. A raise made
/// on the STA thread itself (the core delivers the next request right after ВернутьРезультат) first
/// flushes the queue, so events stay in order, then calls 1C directly and reports its real answer.
///
/// The buffer depth is read from 1C on the STA thread (at attach and before every call into the
/// add-in) and cached, because the core asks for it from its own thread.

#include <atomic>
#include <deque>
#include <mutex>
#include <string>

#include <windows.h>

#include "hserver/addin/com/interfaces.hpp"
#include "hserver/addin/core.hpp"

namespace hserver::addin::com {

class ComEventSink final : public EventSink {
 public:
  /// @param module the dll's instance handle (for the window).
  explicit ComEventSink(HINSTANCE module) noexcept : module_(module) {}
  ~ComEventSink() override;
  ComEventSink(const ComEventSink&) = delete;
  ComEventSink& operator=(const ComEventSink&) = delete;

  /// @brief STA thread (IInitDone::Init): keep `events` (AddRef'd; may be null: events are then
  /// refused) and create the message-only window on this thread. Returns false if the window could not
  /// be created (events are refused then too).
  bool attach(IAsyncEvent* events) noexcept;
  /// @brief STA thread (Done, or the object's destruction): destroy the window, drop queued events,
  /// release IAsyncEvent. Raises after this return false.
  void detach() noexcept;
  /// @brief STA thread: re-read 1C's buffer depth (1C code may have changed it meanwhile).
  void refresh_depth() noexcept;

  /// @brief Any thread. On the STA thread: 1C's answer. Elsewhere: whether the event was queued for
  /// the STA thread (a refusal by 1C then is retried, see retried()).
  bool raise_event(const std::string& source, const std::string& event, const std::string& data) override;
  /// @brief Any thread: the cached depth (at least 1).
  long event_buffer_depth() override { return depth_.load(); }
  /// @brief STA thread: drop the queued events and 1C's buffer of this object (IAsyncEvent::CleanBuffer).
  void withdraw_events() override;

  /// @brief How many times 1C refused a queued event (its buffer was full); each is retried 50 ms
  /// later from a timer on the STA thread, oldest first, until 1C takes it or the sink detaches.
  unsigned long retried() const noexcept { return retried_.load(); }

 private:
  struct Event {
    std::u16string source, name, data;
  };
  static LRESULT CALLBACK window_proc(HWND window, UINT message, WPARAM wparam, LPARAM lparam);
  /// STA thread: raise every queued event, oldest first.
  void flush() noexcept;
  /// STA thread: one ExternalEvent call. True when 1C accepted it.
  bool call_1c(const Event& event) noexcept;

  HINSTANCE module_;
  std::atomic<DWORD> sta_thread_{0};  // written in attach, read by the core's thread
  IAsyncEvent* events_ = nullptr;     // STA thread only
  WNDPROC previous_proc_ = nullptr;
  std::atomic<long> depth_{1};
  std::atomic<unsigned long> retried_{0};
  mutable std::mutex mutex_;  // guards window_ and queue_ (the core's thread posts, the STA thread drains)
  HWND window_ = nullptr;
  std::deque<Event> queue_;
};

}  // namespace hserver::addin::com
