#pragma once
/// @brief POSIX only: the few unix-domain socket operations of the attach protocol (shm/attach.hpp), used
/// by the add-in's attach(), the service's attach acceptor and the tests that play either side.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "hserver/common/expected.hpp"

namespace hserver::platform {

/// @brief An owned descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const noexcept { return fd_; }
  int release() noexcept;
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// @brief Who is at the other end of a connected unix socket, as the kernel says (SO_PEERCRED).
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
Expected<PeerCredentials, std::string> peer_credentials(int socket);

/// @brief Send all `bytes` (MSG_NOSIGNAL), with `pass` (when >= 0) as SCM_RIGHTS on the first byte.
bool send_with_descriptor(int socket, const void* data, std::size_t bytes, int pass);

/// @brief Receive exactly `bytes`, waiting at most `timeout` in all; a descriptor that comes along is
/// stored in `received` (a second one is closed). Errors: "closed" on end of stream, else the reason.
Status<std::string> receive_exactly(int socket, void* data, std::size_t bytes, std::chrono::milliseconds timeout,
                                    UniqueFd* received = nullptr);

}  // namespace hserver::platform
