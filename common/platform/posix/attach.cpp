// POSIX: an add-in attaches over the service's attach socket (shm/attach.hpp): hello, then either a refusal
// text or the channel as a descriptor with its ring size. The service's identity comes from the kernel
// (SO_PEERCRED), the geometry from the reply, checked once against the descriptor's size.
#include "hserver/common/shm/attach.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <system_error>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/platform/unix_socket.hpp"
#include "hserver/common/shm/channel.hpp"

namespace hserver::shm {

namespace {

std::string bounded_name(const char* text) {
  return std::string(text, strnlen(text, kRouteNameBytes));
}

}  // namespace

Expected<Attachment, std::string> attach(std::optional<std::uint16_t> port, const std::string& name,
                                         std::uint32_t flags, std::chrono::milliseconds timeout) {
  const std::string path = default_attach_socket(default_prefix());
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return Unexpected{"the attach socket path '" + path + "' is too long"};
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  platform::UniqueFd connection(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!connection) return Unexpected{"cannot create a socket: " + std::system_category().message(errno)};
  if (::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    const std::string detail = path + ": " + std::system_category().message(error);
    if (error == EACCES || error == EPERM) return Unexpected{access_denied_text(detail)};
    return Unexpected{service_not_running_text(detail)};
  }
  // Who the service is: the kernel's word, not anything the other end writes.
  auto peer = platform::peer_credentials(connection.get());
  if (!peer) return Unexpected{peer.error()};
  const ProcessStamp service = platform::process_stamp(static_cast<std::uint32_t>(peer->pid));
  if (service.pid == 0) return Unexpected{service_not_running_text(path + ": its process has ended")};

  AttachHello hello{};
  hello.magic = kMagic;
  hello.layout_version = kLayoutVersion;
  hello.bytes = sizeof hello;
  hello.flags = flags;
  hello.by_port = port ? 1 : 0;
  hello.port = port.value_or(0);
  if (!port) {
    if (name.size() >= kRouteNameBytes) return Unexpected{"route name '" + name + "' is too long"};
    std::memcpy(hello.route_name, name.data(), name.size());
  }
  // A failed send is not the end: a service that refuses this user answers at once and closes without
  // reading the hello; its answer is still there to read.
  (void)platform::send_with_descriptor(connection.get(), &hello, sizeof hello, -1);

  AttachReply reply{};
  platform::UniqueFd descriptor;
  // The part every version shares first: a reply of another layout is recognised, not misread.
  constexpr std::size_t kStable = offsetof(AttachReply, status) + sizeof reply.status;
  if (auto got = platform::receive_exactly(connection.get(), &reply, kStable, timeout, &descriptor); !got) {
    if (got.error() == "closed") return Unexpected{"the service at '" + path + "' closed the attach without an answer"};
    return Unexpected{"служба не ответила на подключение / the service did not answer the attach request in " +
                      std::to_string(timeout.count()) + " ms (" + got.error() + ")"};
  }
  if (reply.magic != kMagic) return Unexpected{"'" + path + "' is not a 1chserver attach socket"};
  if (reply.layout_version != kLayoutVersion ||
      reply.status == static_cast<std::uint32_t>(AttachStatus::version_mismatch)) {
    return Unexpected{version_mismatch_text(reply.layout_version)};
  }
  if (reply.bytes != sizeof reply) return Unexpected{"'" + path + "' answered a malformed attach reply"};
  if (auto rest = platform::receive_exactly(connection.get(), reinterpret_cast<char*>(&reply) + kStable,
                                            sizeof reply - kStable, timeout, &descriptor);
      !rest) {
    return Unexpected{"the attach reply from '" + path + "' is incomplete: " + rest.error()};
  }
  if (reply.status != static_cast<std::uint32_t>(AttachStatus::attached)) {
    std::string text(std::min(reply.text_bytes, kMaxAttachText), '\0');
    if (!text.empty() && !platform::receive_exactly(connection.get(), text.data(), text.size(), timeout)) {
      text = "no reason given";
    }
    return Unexpected{text};
  }
  if (!descriptor) return Unexpected{std::string("the service answered the attach without a channel")};
  // The geometry: decided by the service, received privately, checked once against the descriptor's size.
  if (reply.segment_bytes != channel_segment_bytes(reply.ring_bytes)) {
    return Unexpected{"the channel from the service has a bad geometry: " + std::to_string(reply.segment_bytes) +
                      " bytes announced for rings of " + std::to_string(reply.ring_bytes) + " bytes"};
  }
  auto memory = platform::SharedMemory::adopt(descriptor.release());
  if (!memory) return Unexpected{memory.error()};
  auto channel = Channel::adopt(std::move(*memory), reply.ring_bytes);
  if (!channel) return Unexpected{channel.error()};

  Attachment attachment;
  attachment.channel = std::make_unique<Channel>(std::move(*channel));
  attachment.service = service;
  attachment.route.name = bounded_name(reply.route_name);
  attachment.route.port = reply.port;
  attachment.route.mode = static_cast<RouteMode>(reply.mode);
  attachment.route.slot_count = reply.slot_count;
  attachment.connection = connection.get();
  attachment.lease = std::make_shared<platform::UniqueFd>(std::move(connection));
  return attachment;
}

}  // namespace hserver::shm
