#pragma once
/// @brief One HTTP/1.1 connection: reads requests (pipelined up to HttpLimits::max_pipelined), submits
/// each to the RequestSink under the route its path selects and writes the answers back in request order.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/any_stream.hpp"
#include "http/envelope_conversion.hpp"
#include "http/listener_context.hpp"

namespace hserver::service {

/// @brief Owned by shared_ptr: pending I/O and pending dispatch completions keep it alive, so an answer
/// that arrives after the client has gone finds a closed session and is dropped harmlessly.
/// Every member runs on the socket's strand; the public methods are thread-safe (they post to it).
///
/// Timeouts: `idle_timeout` while waiting for the first byte of a request with nothing in hand (never
/// while the client is waiting for an answer), `read_timeout` from a request's first byte to its end,
/// `write_timeout` per response. Malformed input gets 400/431/413 and the connection is closed after
/// the answers before it have been written.
class Session : public std::enable_shared_from_this<Session> {
 public:
  /// @brief `socket` must have a strand as its executor (the listener accepts onto one).
  Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<const ListenerContext> context);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// @brief Registers with the route's registry and starts reading.
  void start();
  /// @brief Graceful stop: read no new request, write the answers in hand, then close.
  void shutdown_gracefully();
  /// @brief Closes the connection now; answers still in hand are dropped.
  void close_now();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using Clock = std::chrono::steady_clock;

  // A request read from this connection whose answer has not been written yet.
  struct Pending {
    std::uint64_t sequence = 0;    // position on this connection; identifies the completion
    std::uint64_t request_id = 0;  // dispatch's id, from the answer; 0 when refused by the front
    Clock::time_point arrived;
    std::string method;
    std::string route;  // "-" when no route serves the path
    ResponseContext response_context;
    std::optional<HttpResponse> response;  // set once the answer is in
    MemoryBudget::Reservation held;        // its body, then its answer too, until the answer is written
  };

  enum class ReadPhase { none, handshake, awaiting_request, reading_request, lingering };

  void start_reading();  ///< after the TLS handshake, if any
  void maybe_read();
  void do_await_request();
  void on_await_request(boost::beast::error_code ec, std::size_t bytes);
  void do_read_header();
  void on_read_header(boost::beast::error_code ec, std::size_t bytes);
  // session_access.cpp: the route's allow-list and credentials, settled before the body is read. Reading
  // is suspended while the credentials are verified on the CredentialChecks pool.
  void check_access();
  void on_credentials_verified(bool valid);
  void accept_credentials();
  void refuse_unauthorized();
  void read_request_body();  ///< once the request may proceed: its body limit, then its body
  void do_send_continue();
  void on_send_continue(boost::beast::error_code ec, std::size_t bytes);
  void do_read_body();
  void on_read_body(boost::beast::error_code ec, std::size_t bytes);
  void on_read_error(boost::beast::error_code ec);

  void handle_request(HttpRequest request);
  void on_answer(std::uint64_t sequence, ResponseEnvelope answer, MemoryBudget::Reservation answer_held = {});
  /// Answers at once with "Error: <why>" (plain text, Connection: close) and reads no further request.
  void refuse(std::uint16_t status, std::string_view why, std::vector<Header> headers = {});
  /// Forgets the request being read (refused at its header): the body is not read, only lingered on.
  void abandon_request();
  void count(FrontStats::Reason reason);
  /// Reserves the announced body in the memory budget (a chunked one: as its chunks arrive); when it does
  /// not fit, refuses the request unread and returns false.
  bool reserve_body();
  void refuse_for_memory(std::chrono::seconds retry_after);

  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void after_writes();

  void do_linger();
  void on_linger(boost::beast::error_code ec, std::size_t bytes);
  void close();

  void arm_read_timer(std::chrono::milliseconds timeout);
  void cancel_read_timer();
  void update_idle_timer();
  void arm_write_timer();
  void on_timeout(const char* what);

  AnyStream stream_;
  std::shared_ptr<const ListenerContext> context_;
  std::string remote_address_;
  boost::asio::ip::address remote_ip_;  // for the routes' allow-lists
  const RouteConfig* route_ = nullptr;  // of the request being read, chosen at its header
  RequestIdentity identity_;            // of the request being read, once its credentials verified
  std::uint64_t requests_ = 0;          // read on this connection
  bool counted_ = false;                // in context_->connections
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  MemoryBudget::Reservation reading_held_;  // the body of the request being read
  // The parser's chunk-header callback (Beast keeps a reference): grows reading_held_ chunk by chunk.
  std::function<void(std::uint64_t, boost::beast::string_view, boost::beast::error_code&)> on_chunk_header_;
  std::deque<Pending> pending_;
  std::uint64_t next_sequence_ = 0;

  /// A timeout that moves without system calls. Arming or clearing only stores `due`; the timer waits for
  /// the earliest moment anything can be due and, when it wakes, acts or waits again for the current `due`.
  /// It is re-armed at once only when `due` moves earlier. (A steady_timer armed and cancelled per request
  /// costs a timerfd_settime each time: half the system calls of a small keep-alive request.)
  struct Deadline {
    explicit Deadline(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    Clock::time_point due = Clock::time_point::max();          // max: nothing is due
    Clock::time_point waiting_for = Clock::time_point::max();  // max: no wait outstanding
  };
  void set_deadline(Deadline& deadline, std::chrono::milliseconds timeout);
  void wait_for_deadline(Deadline& deadline);
  void on_deadline(Deadline& deadline);

  Deadline read_deadline_;   // handshake, request, idle keep-alive, linger
  Deadline write_deadline_;  // the response being written
  bool idle_timer_armed_ = false;

  ReadPhase read_phase_ = ReadPhase::none;
  bool writing_ = false;
  bool no_more_requests_ = false;  // client said Connection: close, sent EOF, sent garbage, or we stop
  bool verifying_ = false;         // the request's credentials are on the verification pool; nothing is read
  bool draining_ = false;
  bool closed_ = false;
  Clock::time_point request_started_;  // first byte of the request being read
  std::string discard_;                // linger reads land here
  std::size_t lingered_bytes_ = 0;
};

}  // namespace hserver::service
