#pragma once
/// @brief The registry segment `<prefix>.registry`: the routes the service serves and their attach
/// slots. The service creates it (RegistryOwner); add-ins open it (RegistryClient) to find a route by
/// port or name and claim a slot, which the service answers by creating the add-in's channel.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hserver/common/envelope.hpp"
#include "hserver/common/expected.hpp"
#include "hserver/common/platform/doorbell.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/shm/attach.hpp"
#include "hserver/common/shm/layout.hpp"

namespace hserver::shm {

/// @brief "<prefix>.registry"
std::string registry_name(const std::string& prefix);
/// @brief "<prefix>.ch.<service pid>.<route>.<slot>.<generation>.<token>": the service pid keeps a restarted
/// service from colliding with a dead one's channel that an add-in still holds open (Windows keeps a
/// named object alive while any handle to it is open); the token (32 hex digits from the OS's random
/// generator, written into the slot with `ready`) keeps anyone who did not read the registry from
/// guessing the name and creating the object first.
std::string channel_name(const std::string& prefix, std::uint32_t service_pid, std::uint32_t route, std::uint32_t slot,
                         std::uint32_t generation, const ChannelToken& token);

/// @brief Service side. Not thread-safe: one supervisor thread uses it.
class RegistryOwner {
 public:
  /// @brief Create the registry. One that exists already is never removed (it is not ours): owned by a live
  /// service, the error names its pid; otherwise the OS's own error.
  static Expected<RegistryOwner, std::string> create(const std::string& prefix, const std::vector<RouteInfo>& routes,
                                                     std::uint32_t ring_bytes, const platform::SegmentAccess& access);
  RegistryOwner(RegistryOwner&& other) noexcept;
  RegistryOwner& operator=(RegistryOwner&&) = delete;
  ~RegistryOwner();  ///< removes the registry name

  RegistryHeader& header() const noexcept { return *header_; }
  const std::string& prefix() const noexcept { return prefix_; }
  platform::Doorbell& attach_bell() noexcept { return attach_bell_; }
  /// @brief Publish a slot's new state and wake the add-ins waiting for an answer.
  /// `token` (with `ready`): the random part of the channel's name, see channel_name().
  void answer(std::uint32_t route, std::uint32_t slot, SlotState state, RefusalReason reason = RefusalReason::none,
              const ChannelToken& token = {});
  /// @brief Try to take back a claimed slot (the add-in may have withdrawn it): CAS from `expected`.
  bool transition(std::uint32_t route, std::uint32_t slot, SlotState expected, SlotState next);

 private:
  RegistryOwner(std::string prefix, platform::SharedMemory memory, platform::Doorbell attach_bell,
                platform::Doorbell slot_bell);
  std::string prefix_;
  platform::SharedMemory memory_;
  RegistryHeader* header_;
  platform::Doorbell attach_bell_;
  platform::Doorbell slot_bell_;
};

/// Names of the kernel objects behind the registry's two bells (unused on POSIX).
std::string attach_bell_name(const std::string& prefix);
std::string slot_bell_name(const std::string& prefix);

/// @brief Add-in side: what an attach yields.
struct Claim {
  std::uint32_t route_index = 0;
  std::uint32_t slot_index = 0;
  std::uint32_t generation = 0;
  RouteInfo route;
  std::string channel_name;
};

/// @brief Add-in side. Not thread-safe.
class RegistryClient {
 public:
  /// @brief Open the registry; errors are phrased for a 1C user (service not running, version mismatch).
  static Expected<RegistryClient, std::string> open(const std::string& prefix);
  RegistryClient(RegistryClient&&) noexcept = default;

  std::vector<RouteInfo> routes() const;
  ProcessStamp service() const noexcept { return header_->service; }

  /// @brief Claim a slot on the route served on `port` (or named `name`) and wait up to `timeout` for the
  /// service to create the channel. A port with several routes (path prefixes) is refused: attach by name.
  Expected<Claim, std::string> attach(std::optional<std::uint16_t> port, const std::string& name, std::uint32_t flags,
                                      std::chrono::milliseconds timeout);

 private:
  RegistryClient(std::string prefix, platform::SharedMemory memory, platform::Doorbell attach_bell,
                 platform::Doorbell slot_bell);
  std::string prefix_;
  platform::SharedMemory memory_;
  RegistryHeader* header_;
  platform::Doorbell attach_bell_;
  platform::Doorbell slot_bell_;
};

}  // namespace hserver::shm
