#include "admin_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hserver::ctl {

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Expected<std::string, std::string> admin_call(const std::string& path, const std::string& request_line,
                                              std::chrono::milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return Unexpected{"admin socket path too long: " + path};
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return Unexpected{std::string("socket: ") + std::strerror(errno)};
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      return Unexpected{"the 1chserver service is not running: no admin socket " + path +
                        " (check that the service runs, and that --config, --shm-prefix or --admin-socket name "
                        "the socket of its log line \"admin channel at ...\")"};
    }
    if (error == ECONNREFUSED) {
      return Unexpected{"the 1chserver service is not running: nothing listens on " + path +
                        " (a socket left by a service that ended)"};
    }
    if (error == EACCES || error == EPERM) {
      return Unexpected{"permission denied on " + path +
                        ": run as root or as the service user (the socket is 0660 and its folder 0750, "
                        "owned by the service's user and group)"};
    }
    return Unexpected{"cannot connect to " + path + ": " + std::strerror(error)};
  }
  const std::string line = request_line + "\n";
  if (::send(s.fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    return Unexpected{std::string("cannot send to the service: ") + std::strerror(errno)};
  }
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (answer.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Unexpected{std::string("the service did not answer in time")};
    pollfd p{s.fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
    if (n <= 0) return Unexpected{std::string("the service closed the admin connection")};
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  answer.resize(answer.find('\n'));
  return answer;
}

}  // namespace hserver::ctl
