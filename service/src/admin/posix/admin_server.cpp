#include "admin/admin_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <istream>

#include "admin/admin_commands.hpp"

namespace hserver::service {

namespace net = boost::asio;
using local = net::local::stream_protocol;

namespace {

constexpr std::size_t kMaxLine = 64 * 1024;

/// One admin connection: lines in, lines out, until the peer closes.
class AdminConnection : public std::enable_shared_from_this<AdminConnection> {
 public:
  AdminConnection(local::socket socket, Dispatcher& dispatcher)
      : socket_(std::move(socket)), dispatcher_(dispatcher), input_(kMaxLine) {}

  void start() {
    // The socket's mode already keeps others out; the uid check also holds if someone loosens it.
    ucred peer{};
    socklen_t length = sizeof peer;
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
        (peer.uid != 0 && peer.uid != ::geteuid())) {
      spdlog::warn("admin channel: refused a client with uid {}", peer.uid);
      return write(R"({"ok":false,"error":"access denied: run 1chserverctl as root or as the service user"})"
                   "\n",
                   false);
    }
    read();
  }

 private:
  void read() {
    net::async_read_until(
        socket_, input_, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec) return;  // closed, or a line longer than kMaxLine
          std::istream in(&self->input_);
          std::string line;
          std::getline(in, line);
          handle_admin_line(line, self->dispatcher_, [self](std::string reply) {
            net::post(self->socket_.get_executor(),
                      [self, reply = std::move(reply)]() mutable { self->write(std::move(reply), true); });
          });
        });
  }

  void write(std::string reply, bool then_read) {
    auto buffer = std::make_shared<std::string>(std::move(reply));
    net::async_write(socket_, net::buffer(*buffer),
                     [self = shared_from_this(), buffer, then_read](boost::system::error_code ec, std::size_t) {
                       if (!ec && then_read) self->read();
                     });
  }

  local::socket socket_;
  Dispatcher& dispatcher_;
  net::streambuf input_;
};

}  // namespace

struct AdminServer::Impl {
  Impl(net::io_context& io, Dispatcher& d) : acceptor(io), dispatcher(d) {}
  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, local::socket socket) {
      if (ec) return;  // closed on stop
      std::make_shared<AdminConnection>(std::move(socket), dispatcher)->start();
      accept();
    });
  }
  local::acceptor acceptor;
  Dispatcher& dispatcher;
  std::string path;
};

AdminServer::AdminServer(net::io_context& io, Dispatcher& dispatcher) : impl_(std::make_unique<Impl>(io, dispatcher)) {}

AdminServer::~AdminServer() {
  stop();
}

Status<std::string> AdminServer::start(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::path(path).parent_path();
  // Only a folder made here is narrowed to the service user and its group: an existing one (say /tmp for
  // --admin-socket /tmp/x.sock) belongs to someone else and keeps its mode; the socket's 0660 and the
  // peer uid check still protect the channel there.
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0750);
  }
  // A socket file left by a killed service refuses connections; a live one answers: keep that one.
  if (fs::exists(path, ec)) {
    local::socket probe(impl_->acceptor.get_executor());
    boost::system::error_code connect_error;
    probe.connect(local::endpoint(path), connect_error);
    if (!connect_error) return Unexpected{"admin socket " + path + " is in use by another running 1chserver"};
    fs::remove(path, ec);
  }
  boost::system::error_code error;
  impl_->acceptor.open(local(), error);
  if (!error) impl_->acceptor.bind(local::endpoint(path), error);
  if (!error) impl_->acceptor.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    impl_->acceptor.close();
    return Unexpected{"cannot open the admin socket " + path + ": " + error.message()};
  }
  ::chmod(path.c_str(), 0660);
  impl_->path = path;
  impl_->accept();
  return {};
}

void AdminServer::stop() {
  if (!impl_->acceptor.is_open()) return;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  std::error_code ec;
  std::filesystem::remove(impl_->path, ec);
}

}  // namespace hserver::service
