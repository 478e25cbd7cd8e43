#include "hserver/common/platform/unix_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace hserver::platform {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

Expected<PeerCredentials, std::string> peer_credentials(int socket) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof cred) {
    return Unexpected{"cannot read the peer's credentials: " + std::system_category().message(errno)};
  }
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

bool send_with_descriptor(int socket, const void* data, std::size_t bytes, int pass) {
  const auto* from = static_cast<const char*>(data);
  std::size_t sent = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  while (sent < bytes) {
    iovec io{const_cast<char*>(from + sent), bytes - sent};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    if (sent == 0 && pass >= 0) {
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      cmsghdr* header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(header), &pass, sizeof(int));
    }
    const ssize_t n = ::sendmsg(socket, &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

Status<std::string> receive_exactly(int socket, void* data, std::size_t bytes, std::chrono::milliseconds timeout,
                                    UniqueFd* received) {
  auto* to = static_cast<char*>(data);
  std::size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got < bytes) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Unexpected{std::string("no answer in time")};
    pollfd waiting{socket, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Unexpected{std::system_category().message(errno)};
    if (ready == 0) continue;
    iovec io{to + got, bytes - got};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Unexpected{std::system_category().message(errno)};
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
      if (received != nullptr && !*received) {
        *received = UniqueFd(fd);
      } else {
        ::close(fd);  // not asked for, or a second one: not kept open by accident
      }
    }
    if (n == 0) return Unexpected{std::string("closed")};
    got += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace hserver::platform
