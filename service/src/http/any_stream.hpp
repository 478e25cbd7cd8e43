#pragma once
/// @brief A connection's byte stream: plain TCP, or TLS over TCP (builds with OpenSSL). One type for the
/// session, so HTTP handling is written once: it models Asio's AsyncReadStream and AsyncWriteStream
/// (what Beast's read and write need) by forwarding to whichever stream it holds.

#include <memory>
#include <utility>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#if HSERVER_HAVE_TLS
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#endif

namespace hserver::service {

class AnyStream {
 public:
  using tcp_socket = boost::asio::ip::tcp::socket;
  using executor_type = tcp_socket::executor_type;
#if HSERVER_HAVE_TLS
  using tls_stream = boost::asio::ssl::stream<tcp_socket>;
  using Variant = std::variant<tcp_socket, tls_stream>;
#else
  using Variant = std::variant<tcp_socket>;
#endif

  explicit AnyStream(tcp_socket socket) : stream_(std::in_place_index<0>, std::move(socket)) {}
#if HSERVER_HAVE_TLS
  AnyStream(tcp_socket socket, boost::asio::ssl::context& tls)
      : stream_(std::in_place_index<1>, std::move(socket), tls) {}
  /// Null for plain TCP.
  tls_stream* tls() noexcept {
    return std::get_if<tls_stream>(&stream_);
  }
#endif

  executor_type get_executor() noexcept {
    return socket().get_executor();
  }

  /// The TCP socket underneath: options, endpoints, shutdown and close.
  tcp_socket& socket() noexcept {
    return std::visit(
        [](auto& s) -> tcp_socket& {
          if constexpr (std::is_same_v<std::decay_t<decltype(s)>, tcp_socket>) {
            return s;
          } else {
            return s.next_layer();
          }
        },
        stream_);
  }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    std::visit([&](auto& s) { s.async_read_some(buffers, std::forward<Handler>(handler)); }, stream_);
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    std::visit([&](auto& s) { s.async_write_some(buffers, std::forward<Handler>(handler)); }, stream_);
  }

 private:
  Variant stream_;
};

}  // namespace hserver::service
