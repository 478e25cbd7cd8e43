#pragma once
/// @brief Accepts connections on one address and port (one or more routes) and starts a Session for each.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "hserver/common/expected.hpp"
#include "http/listener_context.hpp"

namespace hserver::service {

/// @brief Owned by shared_ptr (a pending accept keeps it alive until stop()). The acceptor lives on its
/// own strand; start() and stop() are thread-safe.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// @brief Opens, binds and listens on context->bind_address:port (port 0: an ephemeral port,
  /// see local_endpoint()). Does not accept yet.
  /// @return the listener, or "cannot listen on 127.0.0.1:3188: Address already in use".
  static Expected<std::shared_ptr<Listener>, std::string> open(boost::asio::io_context& io,
                                                               std::shared_ptr<const ListenerContext> context);

  /// @brief Starts accepting; each connection gets a Session on a strand of its own.
  void start();
  /// @brief Closes the acceptor; open sessions are not affected.
  void stop();
  /// @brief The bound address, with the real port when port 0 was asked for.
  const boost::asio::ip::tcp::endpoint& local_endpoint() const noexcept { return endpoint_; }

  /// Use open().
  Listener(boost::asio::io_context& io, std::shared_ptr<const ListenerContext> context);

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  std::shared_ptr<const ListenerContext> context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace hserver::service
