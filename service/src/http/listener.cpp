#include "http/listener.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>

#include "http/envelope_conversion.hpp"
#include "http/session.hpp"

namespace hserver::service {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

// After an accept error such as "too many open files" we pause rather than spin on the error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

void allow_quick_rebind(tcp::acceptor& acceptor, beast::error_code& ec) {
  // POSIX: a restarted service must be able to bind while connections of the previous run sit in
  // TIME_WAIT. Windows: SO_REUSEADDR would let another process bind the same port and steal
  // connections, and the TIME_WAIT problem does not exist there. CMake picks (HSERVER_REUSE_ADDRESS).
  if constexpr (HSERVER_REUSE_ADDRESS != 0) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
}

}  // namespace

Listener::Listener(asio::io_context& io, std::shared_ptr<const ListenerContext> context)
    : io_(io), context_(std::move(context)), acceptor_(asio::make_strand(io)), retry_timer_(acceptor_.get_executor()) {}

Expected<std::shared_ptr<Listener>, std::string> Listener::open(asio::io_context& io,
                                                                std::shared_ptr<const ListenerContext> context) {
  const std::string where = context->bind_address.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", context->bind_address, context->port)
                                : fmt::format("{}:{}", context->bind_address, context->port);
  auto fail = [&](std::string_view why) { return Unexpected{fmt::format("cannot listen on {}: {}", where, why)}; };

  beast::error_code ec;
  const auto address = asio::ip::make_address(context->bind_address, ec);
  if (ec) return fail("not an IP address");
  const tcp::endpoint endpoint{address, context->port};

  auto listener = std::make_shared<Listener>(io, std::move(context));
  tcp::acceptor& acceptor = listener->acceptor_;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail(ec.message());
  allow_quick_rebind(acceptor, ec);
  if (ec) return fail(ec.message());
  if (address.is_v6()) {
    // "::" means IPv6 only; listening on IPv4 too is asked for by a second route on 0.0.0.0.
    acceptor.set_option(asio::ip::v6_only(true), ec);
    if (ec) return fail(ec.message());
  }
  acceptor.bind(endpoint, ec);
  if (ec) return fail(ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  listener->endpoint_ = acceptor.local_endpoint(ec);
  if (ec) return fail(ec.message());
  return listener;
}

void Listener::start() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
  });
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  // Each connection on a strand of its own: sessions run in parallel on the I/O threads.
  acceptor_.async_accept(asio::make_strand(io_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    spdlog::warn("{}: accept failed: {}", format_endpoint(endpoint_), ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  std::make_shared<Session>(std::move(socket), context_)->start();
  do_accept();
}

}  // namespace hserver::service
