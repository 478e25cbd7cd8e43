#pragma once
/// @brief The IAddInDefBaseEx the host gives the add-in in Init, behaving like 1C's:
/// - ExternalEvent may be called from any thread; it queues into a buffer of the current depth (1 at
///   start; SetEventBufferDepth changes it) and returns false, counting a drop, when the buffer is full;
/// - events are delivered on the host's main thread one by one: a buffer slot frees when the main
///   thread takes the event (take_event), before the handler runs;
/// - AddError is recorded; with a nonzero scode the pending call counts as having raised an exception.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hserver/host/abi.hpp"
#include "hserver/host/violations.hpp"

namespace hserver::host {

/// @brief One ExternalEvent, converted to UTF-8.
struct ExternalEvent {
  std::string source;
  std::string name;
  std::string data;
};

/// @brief One AddError call.
struct AddErrorRecord {
  unsigned short code = 0;
  std::string source;
  std::string description;
  long scode = 0;
};

/// @brief Thread-safe. Must outlive the add-in object it is given to (until DestroyObject).
class Connection {
 public:
  explicit Connection(Violations& violations);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// @brief The IAddInDefBase* (an IAddInDefBaseEx) to pass to Init.
  void* interface() noexcept { return &interface_; }

  /// @brief Server-session behaviour (pull mode): ExternalEvent is refused (false) and nothing is
  /// queued, as 1C delivers no external events outside client sessions.
  void set_deliver_events(bool deliver);

  /// @brief Main thread: waits up to `timeout` for the oldest queued event and removes it (freeing its
  /// buffer slot, as 1C does before calling ВнешнееСобытие).
  std::optional<ExternalEvent> take_event(std::chrono::milliseconds timeout);

  std::size_t queued_events() const;
  std::size_t accepted_events() const;  ///< every ExternalEvent that returned true
  std::size_t delivered_events() const;
  std::size_t dropped_events() const;  ///< refused because the buffer was full
  std::size_t refused_events() const;  ///< refused because events are not delivered (server session)
  long buffer_depth() const;
  /// @brief As if 1C's buffer had this depth (the add-in can still change it with SetEventBufferDepth).
  void set_buffer_depth(long depth);

  /// @brief Call bracketing: begin_call forgets the errors of the previous call; end_call returns the
  /// errors AddError recorded since begin_call.
  void begin_call();
  std::vector<AddErrorRecord> end_call();
  /// @brief Every AddError of the session, in order.
  std::vector<AddErrorRecord> all_errors() const;

  // The add-in's side, reached through interface()'s vtable.
  bool add_error(unsigned short code, const abi::WChar* source, const abi::WChar* descr, long scode);
  bool set_event_buffer_depth(long depth);
  long get_event_buffer_depth();
  bool external_event(const abi::WChar* source, const abi::WChar* event, const abi::WChar* data);
  void clean_event_buffer();
  bool set_status_line(const abi::WChar* text);
  void reset_status_line();

 private:
  Violations& violations_;
  abi::HostInterface interface_;
  mutable std::mutex mutex_;
  std::condition_variable event_ready_;
  std::deque<ExternalEvent> queue_;
  long depth_ = 1;
  bool deliver_events_ = true;
  std::size_t accepted_ = 0;
  std::size_t delivered_ = 0;
  std::size_t dropped_ = 0;
  std::size_t refused_ = 0;
  std::vector<AddErrorRecord> call_errors_;
  std::vector<AddErrorRecord> all_errors_;
  std::string status_line_;
};

}  // namespace hserver::host
