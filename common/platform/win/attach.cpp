// Windows: an add-in attaches through the registry section: it claims a slot, the service creates the
// channel section under a name with a random token and answers `ready`, the add-in opens it.
#include "hserver/common/shm/attach.hpp"

#include "hserver/common/shm/channel.hpp"
#include "hserver/common/shm/registry.hpp"

namespace hserver::shm {

Expected<Attachment, std::string> attach(std::optional<std::uint16_t> port, const std::string& name,
                                         std::uint32_t flags, std::chrono::milliseconds timeout) {
  auto registry = RegistryClient::open(default_prefix());
  if (!registry) return Unexpected{registry.error()};
  auto claimed = registry->attach(port, name, flags, timeout);
  if (!claimed) return Unexpected{claimed.error()};
  auto channel = Channel::open(claimed->channel_name);
  if (!channel) return Unexpected{channel.error()};
  Attachment attachment;
  attachment.channel = std::make_unique<Channel>(std::move(*channel));
  attachment.service = registry->service();
  attachment.route = claimed->route;
  return attachment;
}

}  // namespace hserver::shm
