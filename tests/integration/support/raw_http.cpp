#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hserver::test {

std::vector<int> RawExchange::statuses() const {
  std::vector<int> found;
  for (std::size_t at = received.find("HTTP/1."); at != std::string::npos; at = received.find("HTTP/1.", at + 1)) {
    // Only at the start of the stream or of a line: a body may mention "HTTP/1." too.
    if (at != 0 && received[at - 1] != '\n') continue;
    if (at + 12 <= received.size() && received[at + 8] == ' ') found.push_back(std::atoi(received.c_str() + at + 9));
  }
  return found;
}

RawExchange raw_exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout) {
  RawExchange exchange;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    exchange.error = std::string{"connect: "} + std::strerror(errno);
    ::close(fd);
    return exchange;
  }
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      exchange.error = std::string{"send: "} + std::strerror(errno);
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      exchange.closed = n == 0 || errno == ECONNRESET;
      break;
    }
    exchange.received.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return exchange;
}

}  // namespace hserver::test
