#include "http/session.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "http/body_admission.hpp"
#include "http/request_framing.hpp"
#include "http/session_registry.hpp"

namespace hserver::service {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t kReadChunk = 4096;
// After refusing a request we read and discard what the client still sends for a short while: closing
// with unread data makes the kernel send RST, and the client could lose our answer before reading it.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::size_t kLingerLimit = 1024 * 1024;

const beast::error_category& http_error_category() {
  static const beast::error_category& category = bhttp::make_error_code(bhttp::error::bad_method).category();
  return category;
}

bool expects_continue(const HttpRequest& request) {
  const auto expect = request[bhttp::field::expect];
  return beast::iequals(expect, "100-continue");
}

AnnouncedBody announced_body(const bhttp::request_parser<bhttp::string_body>& parser) {
  const auto length = parser.content_length();
  return AnnouncedBody{length ? std::optional<std::uint64_t>{*length} : std::nullopt, parser.chunked()};
}

// What an answer holds in memory until it is written.
std::uint64_t held_bytes(const ResponseEnvelope& answer) {
  std::uint64_t bytes = answer.body.size();
  for (const Header& header : answer.headers) bytes += header.name.size() + header.value.size();
  return bytes;
}

const boost::system::error_code kNoRoomInTheBudget =
    boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);

AnyStream make_stream(asio::ip::tcp::socket socket, const ListenerContext& context) {
#if HSERVER_HAVE_TLS
  if (context.tls) return AnyStream{std::move(socket), *context.tls};
#else
  static_cast<void>(context);
#endif
  return AnyStream{std::move(socket)};
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, std::shared_ptr<const ListenerContext> context)
    : stream_(make_stream(std::move(socket), *context)),
      context_(std::move(context)),
      read_deadline_(stream_.get_executor()),
      write_deadline_(stream_.get_executor()) {
  beast::error_code ec;
  const auto remote = stream_.socket().remote_endpoint(ec);
  remote_address_ = ec ? std::string{"unknown"} : format_endpoint(remote);
  if (!ec) remote_ip_ = remote.address();
  // Answers are small and often pipelined: they must not wait for Nagle's algorithm.
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  on_chunk_header_ = [this](std::uint64_t size, beast::string_view, beast::error_code& chunk_ec) {
    if (!reading_held_.try_grow(size)) chunk_ec = kNoRoomInTheBudget;
  };
}

Session::~Session() {
  if (context_->registry) context_->registry->remove(this);
  if (counted_) context_->connections.fetch_sub(1, std::memory_order_relaxed);
}

void Session::start() {
  if (context_->registry) context_->registry->add(shared_from_this());
  counted_ = true;
  const std::size_t open = context_->connections.fetch_add(1, std::memory_order_relaxed) + 1;
  asio::post(stream_.get_executor(), [self = shared_from_this(), open] {
    if (open > self->context_->limits.max_connections) {
      // Answered rather than dropped, so the client knows to come back later.
      self->count(FrontStats::Reason::too_many_connections);
      self->refuse(503, fmt::format("too many connections (at most {})", self->context_->limits.max_connections));
      return;
    }
    self->start_reading();
  });
}

void Session::start_reading() {
#if HSERVER_HAVE_TLS
  if (auto* tls = stream_.tls()) {
    // The handshake is part of the first request: the read timeout bounds it (a client that connects
    // and sends nothing, or half a ClientHello, is cut like a slow request).
    read_phase_ = ReadPhase::handshake;
    arm_read_timer(context_->limits.read_timeout);
    tls->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
      self->read_phase_ = ReadPhase::none;
      self->cancel_read_timer();
      if (self->closed_) return;
      if (ec) {
        spdlog::debug("connection {}: TLS handshake failed: {}", self->remote_address_, ec.message());
        self->count(FrontStats::Reason::tls_handshake);
        self->close();
        return;
      }
      self->maybe_read();
    });
    return;
  }
#endif
  maybe_read();
}

void Session::shutdown_gracefully() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->draining_ = true;
    self->no_more_requests_ = true;
    // A request being read is let through; it will be answered (503 from a stopping dispatcher).
    if (self->read_phase_ != ReadPhase::reading_request && self->pending_.empty() && !self->writing_) {
      self->close();
    }
  });
}

void Session::close_now() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
}

// ---- reading -------------------------------------------------------------------------------------

void Session::maybe_read() {
  if (closed_ || no_more_requests_ || read_phase_ != ReadPhase::none) return;
  // Bound on pipelining: answers not yet written. Reading resumes once one has been written.
  if (pending_.size() >= context_->limits.max_pipelined) return;
  if (buffer_.size() == 0) {
    do_await_request();
  } else {
    do_read_header();
  }
}

// Waiting for the first byte is separate from reading the request so that the idle timeout and the
// read timeout can differ, and so that no timeout runs while the client waits for an answer.
void Session::do_await_request() {
  read_phase_ = ReadPhase::awaiting_request;
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::on_await_request, shared_from_this()));
  update_idle_timer();
}

void Session::on_await_request(beast::error_code ec, std::size_t bytes) {
  read_phase_ = ReadPhase::none;
  if (idle_timer_armed_) cancel_read_timer();
  if (closed_) return;
  if (ec) {
    if (ec == asio::error::eof) {
      // The client will send nothing more; it may still be waiting for answers in hand.
      no_more_requests_ = true;
      after_writes();
    } else {
      close();
    }
    return;
  }
  buffer_.commit(bytes);
  do_read_header();
}

void Session::do_read_header() {
  parser_.emplace();
  route_ = nullptr;
  const auto header_limit =
      std::min<std::size_t>(context_->limits.header_limit, std::numeric_limits<std::uint32_t>::max());
  parser_->header_limit(static_cast<std::uint32_t>(header_limit));
  parser_->body_limit(context_->limits.body_limit);
  read_phase_ = ReadPhase::reading_request;
  request_started_ = Clock::now();
  arm_read_timer(context_->limits.read_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
}

void Session::on_read_header(beast::error_code ec, std::size_t) {
  if (closed_) return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  auto& header = parser_->get();
  // A request a proxy in front could frame differently goes no further (request smuggling).
  if (auto refusal = check_request_framing(header)) {
    count(FrontStats::Reason::bad_framing);
    abandon_request();
    refuse(refusal->status, refusal->why);
    return;
  }
  // The route, its allow-list and its credentials are settled before the body is read: a stranger
  // cannot make the service read (or hold) a large body. The route is chosen on the normalised path.
  auto choice = context_->routes.resolve(header.target());
  if (!choice) {
    count(FrontStats::Reason::bad_path);
    abandon_request();
    refuse(400, choice.error());
    return;
  }
  route_ = choice->route;
  header.target(choice->target);  // what 1C (or the legacy decoder) receives
  if (route_ != nullptr) {
    check_access();
    return;
  }
  read_request_body();
}

void Session::read_request_body() {
  const auto& header = parser_->get();
  if (route_ != nullptr) {
    parser_->body_limit(route_->http.body_limit);
  }
  // A body that would be read for nothing, or is too large, is refused before a byte of it is read.
  if (auto refusal = refuse_before_body(route_, header.method(), announced_body(*parser_))) {
    count(refusal->reason);
    abandon_request();
    refuse(refusal->status, refusal->why, std::move(refusal->headers));
    return;
  }
  if (route_ != nullptr && !reserve_body()) return;
  // Clients that ask first (curl does for large bodies) would otherwise wait a second before sending.
  // Only when no answer is queued: an interim response must not overtake earlier answers.
  if (!parser_->is_done() && expects_continue(parser_->get()) && pending_.empty() && !writing_) {
    do_send_continue();
  } else {
    do_read_body();
  }
}

void Session::do_send_continue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  writing_ = true;
  arm_write_timer();
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    beast::bind_front_handler(&Session::on_send_continue, shared_from_this()));
}

void Session::on_send_continue(beast::error_code ec, std::size_t) {
  writing_ = false;
  write_deadline_.due = Clock::time_point::max();
  if (closed_) return;
  if (ec) {
    close();
    return;
  }
  do_read_body();
  do_write();
}

void Session::do_read_body() {
  if (parser_->is_done()) {
    on_read_body({}, 0);
    return;
  }
  bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read_body, shared_from_this()));
}

void Session::on_read_body(beast::error_code ec, std::size_t) {
  if (closed_) return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  cancel_read_timer();
  read_phase_ = ReadPhase::none;
  HttpRequest request = parser_->release();
  parser_.reset();
  handle_request(std::move(request));
  maybe_read();
}

void Session::on_read_error(beast::error_code ec) {
  read_phase_ = ReadPhase::none;
  cancel_read_timer();
  parser_.reset();
  reading_held_.release();  // the part of the body read goes with the parser
  if (ec == kNoRoomInTheBudget) {
    refuse_for_memory(route_ != nullptr ? route_->retry_after : RouteConfig{}.retry_after);
  } else if (ec == bhttp::error::end_of_stream) {
    no_more_requests_ = true;
    after_writes();
  } else if (ec == bhttp::error::header_limit) {
    count(FrontStats::Reason::headers_too_large);
    refuse(431, fmt::format("the request line and headers exceed {} bytes", context_->limits.header_limit));
  } else if (ec == bhttp::error::body_limit) {
    count(FrontStats::Reason::body_too_large);
    refuse(413, fmt::format("the request body exceeds {} bytes",
                            route_ != nullptr ? route_->http.body_limit : context_->limits.body_limit));
  } else if (ec == bhttp::error::bad_transfer_encoding || ec == bhttp::error::bad_content_length ||
             ec == bhttp::error::multiple_content_length) {
    // Beast's own framing refusals (Transfer-Encoding with Content-Length, differing lengths).
    count(FrontStats::Reason::bad_framing);
    refuse(400, fmt::format("malformed request: {}", ec.message()));
  } else if (ec.category() == http_error_category() && ec != bhttp::error::partial_message) {
    count(FrontStats::Reason::malformed);
    refuse(400, fmt::format("malformed request: {}", ec.message()));
  } else {
    // The client went away mid-request (partial message, reset): nobody to answer.
    spdlog::debug("connection {}: read failed: {}", remote_address_, ec.message());
    close();
  }
}

// ---- requests and answers ------------------------------------------------------------------------

void Session::handle_request(HttpRequest request) {
  Pending pending;
  pending.sequence = next_sequence_++;
  pending.arrived = request_started_;
  pending.method = std::string{request.method_string()};
  const RouteConfig* route = std::exchange(route_, nullptr);
  RequestIdentity identity = std::exchange(identity_, RequestIdentity{});
  // No route: the service answers, in plain text like every answer of its own.
  pending.response_context = ResponseContext{route ? route->mode : RouteMode::legacy, request.version(),
                                             request.keep_alive(), request.method() == bhttp::verb::head};
  pending.route = route ? route->name : "-";
  pending.held = std::move(reading_held_);
  if (!request.keep_alive()) no_more_requests_ = true;
  // Keep-alive has a bound too: the answer to the last allowed request says Connection: close.
  ++requests_;
  if (context_->limits.max_requests_per_connection != 0 && requests_ >= context_->limits.max_requests_per_connection &&
      !no_more_requests_) {
    count(FrontStats::Reason::requests_per_connection);
    no_more_requests_ = true;
    pending.response_context.keep_alive = false;
  }

  const std::uint64_t sequence = pending.sequence;
  pending_.push_back(std::move(pending));

  if (route == nullptr) {
    // The client is told no more than that: the routes of the port are for the log, not for strangers.
    spdlog::debug("connection {}: no route for {}; routes here: {}", remote_address_, request.target(),
                  context_->routes.describe());
    count(FrontStats::Reason::no_route);
    if (context_->stats) context_->stats->answered({}, 404);
    on_answer(sequence, make_error_envelope(404, "no route serves this path"));
    return;
  }
  auto converted = to_request_envelope(std::move(request), route->mode, remote_address_, route->path_prefix);
  if (!converted) {
    on_answer(sequence, converted.error());
    return;
  }
  // The id stays 0: dispatch numbers requests, and the answer carries that number back for the log.
  RequestEnvelope envelope = std::move(converted.value());
  envelope.user = std::move(identity.user);
  envelope.auth_scheme = std::move(identity.scheme);
  if (!route->forward_credentials) remove_credential_headers(envelope.headers);
  // The completion may run on any thread, even inside submit(): always hop back onto our strand. It
  // holds the session alive, and on_answer ignores answers for a connection that has closed.
  context_->sink.submit(
      route->name, std::move(envelope), [self = shared_from_this(), sequence](ResponseEnvelope answer) {
        // From here until written the answer is in memory: it counts, even beyond the budget (refusing
        // it would free nothing), so that new requests wait until it has gone.
        MemoryBudget::Reservation held;
        if (self->context_->memory_budget) {
          held = self->context_->memory_budget->open();
          held.grow_anyway(held_bytes(answer));
        }
        auto executor = self->stream_.get_executor();
        asio::post(executor,
                   [self = std::move(self), sequence, answer = std::move(answer), held = std::move(held)]() mutable {
                     self->on_answer(sequence, std::move(answer), std::move(held));
                   });
      });
}

void Session::on_answer(std::uint64_t sequence, ResponseEnvelope answer, MemoryBudget::Reservation answer_held) {
  if (closed_) return;
  const auto it =
      std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.sequence == sequence; });
  if (it == pending_.end() || it->response) return;  // a second answer breaks the sink's contract
  it->held.absorb(std::move(answer_held));
  it->request_id = answer.id;
  it->response = to_http_response(std::move(answer), it->response_context);
  do_write();
}

void Session::count(FrontStats::Reason reason) {
  if (context_->stats) context_->stats->count(reason);
}

void Session::abandon_request() {
  read_phase_ = ReadPhase::none;
  cancel_read_timer();
  parser_.reset();
  reading_held_.release();
  // route_ stays: the refusal that follows is counted under it. The next request's header resets it.
}

bool Session::reserve_body() {
  if (!context_->memory_budget) return true;
  reading_held_ = context_->memory_budget->open();
  if (parser_->chunked()) {
    parser_->on_chunk_header(on_chunk_header_);
    return true;
  }
  if (reading_held_.try_grow(parser_->content_length().value_or(0))) return true;
  const std::chrono::seconds retry_after = route_->retry_after;
  abandon_request();
  refuse_for_memory(retry_after);
  return false;
}

void Session::refuse_for_memory(std::chrono::seconds retry_after) {
  count(FrontStats::Reason::memory_budget);
  refuse(503, "the service holds too much memory in requests now; try again later",
         {Header{"Retry-After", std::to_string(retry_after.count())}});
}

void Session::refuse(std::uint16_t status, std::string_view why, std::vector<Header> headers) {
  spdlog::debug("connection {}: {} {}", remote_address_, status, why);
  if (context_->stats) context_->stats->answered(route_ != nullptr ? route_->name : std::string{}, status);
  no_more_requests_ = true;  // after garbage the stream cannot be resynchronised
  verifying_ = false;        // a verdict still to come (after a read timeout) finds the request refused
  Pending pending;
  pending.sequence = next_sequence_++;
  pending.arrived = request_started_;
  pending.method = "-";
  // Plain-text answer whatever the route's mode: it comes from the service, not from 1C.
  pending.response_context = ResponseContext{RouteMode::legacy, 11, false, false};
  ResponseEnvelope envelope = make_error_envelope(status, why);
  envelope.headers = std::move(headers);
  pending.response = to_http_response(std::move(envelope), pending.response_context);
  pending_.push_back(std::move(pending));
  do_write();
}

// ---- writing -------------------------------------------------------------------------------------

void Session::do_write() {
  if (writing_ || closed_ || pending_.empty() || !pending_.front().response) return;
  Pending& front = pending_.front();
  // Stopping: the last answer tells the client not to send more on this connection.
  if (draining_ && pending_.size() == 1 && read_phase_ != ReadPhase::reading_request) {
    front.response->keep_alive(false);
  }
  writing_ = true;
  update_idle_timer();
  arm_write_timer();
  bhttp::async_write(stream_, *front.response, beast::bind_front_handler(&Session::on_write, shared_from_this()));
}

void Session::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  write_deadline_.due = Clock::time_point::max();
  if (closed_) return;
  if (ec) {
    spdlog::debug("connection {}: write failed: {}", remote_address_, ec.message());
    close();
    return;
  }
  const Pending done = std::move(pending_.front());
  pending_.pop_front();
  const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - done.arrived);
  // Id 0: answered by the front itself (refused before dispatch).
  spdlog::debug("request {} route '{}' {} -> {} in {:.1f} ms", done.request_id, done.route, done.method,
                done.response->result_int(), elapsed.count());
  if (done.response->need_eof()) {
    no_more_requests_ = true;
    do_linger();
    return;
  }
  after_writes();
}

void Session::after_writes() {
  if (closed_) return;
  if (pending_.empty() && !writing_ && no_more_requests_ && read_phase_ != ReadPhase::reading_request) {
    close();
    return;
  }
  do_write();
  maybe_read();
  update_idle_timer();
}

// ---- closing -------------------------------------------------------------------------------------

void Session::do_linger() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (read_phase_ != ReadPhase::none) {
    close();  // a read is already outstanding: it cannot be joined by a second one
    return;
  }
  read_phase_ = ReadPhase::lingering;
  arm_read_timer(kLingerTimeout);
  discard_.resize(kReadChunk);
  stream_.async_read_some(asio::buffer(discard_), beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::on_linger(beast::error_code ec, std::size_t bytes) {
  if (closed_) return;
  lingered_bytes_ += bytes;
  if (ec || lingered_bytes_ > kLingerLimit) {
    close();
    return;
  }
  stream_.async_read_some(asio::buffer(discard_), beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  read_deadline_.due = write_deadline_.due = Clock::time_point::max();
  read_deadline_.timer.cancel();  // their waits end now and release the session
  write_deadline_.timer.cancel();
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  // pending_ is left alone: an aborted async_write may still refer to the front response until its
  // handler has run. It goes with the session.
}

// ---- timers --------------------------------------------------------------------------------------

void Session::set_deadline(Deadline& deadline, std::chrono::milliseconds timeout) {
  deadline.due = Clock::now() + timeout;  // steady_clock::now() is a vDSO read, not a system call
  if (deadline.due < deadline.waiting_for) wait_for_deadline(deadline);
}

void Session::wait_for_deadline(Deadline& deadline) {
  deadline.waiting_for = deadline.due;
  deadline.timer.expires_at(deadline.due);  // an outstanding wait ends with operation_aborted
  deadline.timer.async_wait([self = shared_from_this(), &deadline](beast::error_code ec) {
    if (ec || self->closed_) return;  // replaced by a wait for an earlier moment, or closed
    deadline.waiting_for = Clock::time_point::max();
    if (deadline.due == Clock::time_point::max()) return;  // cleared: the next arming starts a wait
    if (Clock::now() < deadline.due) return self->wait_for_deadline(deadline);  // it moved later
    self->on_deadline(deadline);
  });
}

void Session::on_deadline(Deadline& deadline) {
  deadline.due = Clock::time_point::max();  // once
  if (&deadline == &write_deadline_) return on_timeout("write");
  idle_timer_armed_ = false;
  on_timeout(read_phase_ == ReadPhase::awaiting_request ? "idle" : "read");
}

void Session::arm_read_timer(std::chrono::milliseconds timeout) {
  idle_timer_armed_ = false;
  set_deadline(read_deadline_, timeout);
}

void Session::cancel_read_timer() {
  idle_timer_armed_ = false;
  read_deadline_.due = Clock::time_point::max();
}

void Session::update_idle_timer() {
  const bool wanted = !closed_ && read_phase_ == ReadPhase::awaiting_request && pending_.empty() && !writing_;
  if (wanted && !idle_timer_armed_) {
    arm_read_timer(context_->limits.idle_timeout);
    idle_timer_armed_ = true;
  } else if (!wanted && idle_timer_armed_) {
    cancel_read_timer();
  }
}

void Session::arm_write_timer() {
  set_deadline(write_deadline_, context_->limits.write_timeout);
}

void Session::on_timeout(const char* what) {
  const std::string_view kind{what};
  // A client that began a request and is too slow to finish it (slowloris) is told so with 408 when
  // nothing else is owed on this connection; otherwise, and on idle or write timeouts, it is closed.
  if (kind == "read" && read_phase_ == ReadPhase::reading_request && pending_.empty() && !writing_) {
    spdlog::debug("connection {}: the request did not arrive in time, 408", remote_address_);
    count(FrontStats::Reason::read_timeout);
    // The read still outstanding finishes with an error once the socket closes after the answer.
    no_more_requests_ = true;
    refuse(408, fmt::format("the request was not received within {} ms", context_->limits.read_timeout.count()));
    return;
  }
  count(kind == "idle"    ? FrontStats::Reason::idle_timeout
        : kind == "write" ? FrontStats::Reason::write_timeout
                          : FrontStats::Reason::read_timeout);
  spdlog::debug("connection {}: {} timeout, closing", remote_address_, what);
  close();
}

}  // namespace hserver::service
