#pragma once
/// @brief The add-in core: attaches to a service route over shared memory, receives requests, hands them
/// to 1C (events or a blocking wait), and sends the answers back. It knows nothing of Native API or COM;
/// the bindings translate 1C calls into these methods (see addin/method_table.hpp).
///
/// Thread safety: every public method may be called from any thread (1C calls from its own thread; the
/// core's channel thread raises events through EventSink). EventSink is called without internal locks held.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hserver/common/envelope.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::addin {

/// A request as the add-in keeps it: shared, never copied (its body may be megabytes).
using RequestPtr = std::shared_ptr<const RequestEnvelope>;

/// @brief What the core asks of the host (1C): raise an external event. Implemented by the binding.
class EventSink {
 public:
  virtual ~EventSink() = default;
  /// @brief Raise ExternalEvent(source, event, data); UTF-8 in. Returns false if 1C refused it (buffer full).
  virtual bool raise_event(const std::string& source, const std::string& event, const std::string& data) = 0;
  /// @brief The depth of 1C's event buffer for this object (GetEventBufferDepth); at least 1.
  virtual long event_buffer_depth() = 0;
  /// @brief 1C's thread: drop the events this object raised that 1C has not handed to its code yet
  /// (CleanEventBuffer), because the requests behind them are now served by ОжидатьЗапрос.
  virtual void withdraw_events() {}
};

/// The event source name and event names 1C code sees in ВнешнееСобытие / ОбработкаВнешнегоСобытия.
inline constexpr const char* kEventSource = "1CHServer";
inline constexpr const char* kLegacyEvent = "Execute";  ///< data: the code text (legacy routes)
inline constexpr const char* kHttpEvent = "Request";    ///< data: the request id in decimal (http routes)
inline constexpr const char* kLogEvent = "Log";  ///< data: "<дд.ММ.гггг Ч:мм:сс> - <message>" (the original's)

/// @brief How an attached object receives requests.
enum class AttachMode {
  events,  ///< ВнешнееСобытие for each request (a client session); ОжидатьЗапрос switches to waiting
  waiting,  ///< «режим ожидания»: only ОжидатьЗапрос; no event is ever raised for a request
};

/// A human-readable error, in Russian then English, as 1C users read it.
using Error = std::string;

class Core {
 public:
  /// @param sink may be null for pull-mode-only use; must outlive the Core.
  explicit Core(EventSink* sink);
  ~Core();  ///< detaches (as stop())
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  /// @brief Attach to the route the service serves on `port` (Запустить; ПодключитьДляОжидания(Число)).
  Status<Error> start_on_port(std::uint16_t port, AttachMode mode = AttachMode::events);
  /// @brief Attach to the route with this name (ПодключитьМаршрут; ПодключитьДляОжидания(Строка)).
  Status<Error> attach_route(const std::string& name, AttachMode mode = AttachMode::events);
  /// @brief Detach (Остановить). Requests delivered but not answered get an error response. Also ends
  /// the search for a lost service.
  void stop();

  /// @brief Answer a request with text (ВернутьРезультат, ВернутьРезультатЗапроса). Without id: the
  /// oldest delivered, unanswered one. An answer larger than the service accepts is refused with an Error
  /// naming both sizes, and the request is answered 502 with that reason instead (the channel stays).
  Status<Error> return_result(const std::string& text, std::optional<std::uint64_t> id);
  /// @brief Answer an http-route request with status, headers and body (ОтправитьОтвет). Size rule as
  /// return_result.
  Status<Error> send_response(std::uint64_t id, std::uint16_t status, std::vector<Header> headers, std::string body);
  /// @brief The request with this id, if it was delivered to 1C and not yet answered (else null). Marks
  /// it taken by 1C code: ОжидатьЗапрос no longer takes it back from an unhandled event.
  RequestPtr request(std::uint64_t id);

  /// @brief «Режим ожидания» (waiting mode): wait up to `timeout` for the next request and mark it delivered;
  /// null on timeout. From the first call on no event is raised for a request, and requests already raised
  /// as events that 1C code has not taken (no answer, no ПолучитьЗапрос yet) are withdrawn from 1C's event
  /// buffer and returned here first, oldest first: in a server session 1C never delivers them.
  RequestPtr wait_request(std::chrono::milliseconds timeout);
  /// @brief True once attached for waiting or after the first wait_request (until the next attach).
  bool waiting_mode() const;

  /// @brief The original's "Log" events (СобытияЖурнала): off by default. They go through the add-in's
  /// own queue, behind nothing and before the request they describe, and are raised only when 1C's buffer
  /// takes them, so they never push a request event out (at most 1000 wait; older ones are dropped).
  void set_log_events(bool on);
  bool log_events() const;

  /// @brief The largest encoded answer the service accepts (published in the channel); 0 when detached.
  std::uint64_t max_response_bytes() const;

  bool attached() const;
  std::uint16_t port() const;      ///< 0 when not attached
  std::string route_name() const;  ///< "" when not attached
  std::string last_error() const;  ///< "" when none; while reconnecting, why the last attempt failed
  /// @brief The service was lost and the core is attaching again (to the same port or route, with a
  /// growing pause up to 5 s between attempts) until it is back or stop() is called.
  bool reconnecting() const;
  /// @brief Once: what 1C should be told of at its next call (the service lost; lost and restored).
  std::optional<std::string> take_notice();
  static std::string version();  ///< "0.1.0 (layout 1)"

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hserver::addin
