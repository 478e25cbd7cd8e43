#include "hserver/common/platform/random.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace hserver::platform {

// /dev/urandom rather than getrandom(): the glibc floor (2.17) has no wrapper, and kernels older than 3.17
// (CentOS 7) no system call; once the system has booted the two give the same bytes.
bool fill_random(void* data, std::size_t bytes) noexcept {
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  auto* out = static_cast<unsigned char*>(data);
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::read(fd, out + done, bytes - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return done == bytes;
}

}  // namespace hserver::platform
