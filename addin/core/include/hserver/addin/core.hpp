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
};

/// The event source name and event names 1C code sees in ВнешнееСобытие / ОбработкаВнешнегоСобытия.
inline constexpr const char* kEventSource = "1CHServer";
inline constexpr const char* kLegacyEvent = "Execute";  ///< data: the code text (legacy routes)
inline constexpr const char* kHttpEvent = "Request";    ///< data: the request id in decimal (http routes)

/// A human-readable error, in Russian then English, as 1C users read it.
using Error = std::string;

class Core {
 public:
  /// @param sink may be null for pull-mode-only use; must outlive the Core.
  explicit Core(EventSink* sink);
  ~Core();  ///< detaches (as stop())
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  /// @brief Attach to the route the service serves on `port` (Запустить). Event mode.
  Status<Error> start_on_port(std::uint16_t port);
  /// @brief Attach to the route with this name (ПодключитьМаршрут). Event mode.
  Status<Error> attach_route(const std::string& name);
  /// @brief Detach (Остановить). Requests delivered but not answered get an error response. Also ends
  /// the search for a lost service.
  void stop();

  /// @brief Answer a request with text (ВернутьРезультат). Without id: the oldest delivered, unanswered one.
  Status<Error> return_result(const std::string& text, std::optional<std::uint64_t> id);
  /// @brief Answer an http-route request with status, headers and body (ОтправитьОтвет).
  Status<Error> send_response(std::uint64_t id, std::uint16_t status, std::vector<Header> headers, std::string body);
  /// @brief The request with this id, if it was delivered to 1C and not yet answered (else null).
  RequestPtr request(std::uint64_t id) const;

  /// @brief Pull mode: wait up to `timeout` for the next request and mark it delivered; null on timeout.
  /// While a pull wait is in progress no events are raised for the requests it takes.
  RequestPtr wait_request(std::chrono::milliseconds timeout);

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
