#include "hserver/common/shm/registry.hpp"

#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <utility>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/random.hpp"

namespace hserver::shm {

std::string registry_name(const std::string& prefix) {
  return prefix + ".registry";
}
std::string attach_bell_name(const std::string& prefix) {
  return prefix + ".registry.attach";
}
std::string slot_bell_name(const std::string& prefix) {
  return prefix + ".registry.slot";
}

std::string channel_name(const std::string& prefix, std::uint32_t service_pid, std::uint32_t route, std::uint32_t slot,
                         std::uint32_t generation, const ChannelToken& token) {
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(token.words[0]),
                static_cast<unsigned long long>(token.words[1]));
  return prefix + ".ch." + std::to_string(service_pid) + "." + std::to_string(route) + "." + std::to_string(slot) +
         "." + std::to_string(generation) + "." + hex;
}

namespace {

RegistryHeader* header_of(const platform::SharedMemory& m) {
  return reinterpret_cast<RegistryHeader*>(m.data());
}

RouteInfo info_of(const RouteEntry& e) {
  RouteInfo info;
  info.name.assign(e.name, strnlen(e.name, kRouteNameBytes));
  info.port = e.port;
  info.mode = static_cast<RouteMode>(e.mode);
  info.slot_count = e.slot_count;
  return info;
}

}  // namespace

// ---- service side -------------------------------------------------------------------------------------

RegistryOwner::RegistryOwner(std::string prefix, platform::SharedMemory memory, platform::Doorbell attach_bell,
                             platform::Doorbell slot_bell)
    : prefix_(std::move(prefix)),
      memory_(std::move(memory)),
      header_(header_of(memory_)),
      attach_bell_(std::move(attach_bell)),
      slot_bell_(std::move(slot_bell)) {}

RegistryOwner::RegistryOwner(RegistryOwner&& other) noexcept
    : prefix_(std::move(other.prefix_)),
      memory_(std::move(other.memory_)),
      header_(std::exchange(other.header_, nullptr)),
      attach_bell_(std::move(other.attach_bell_)),
      slot_bell_(std::move(other.slot_bell_)) {}

RegistryOwner::~RegistryOwner() {
  if (header_ != nullptr) platform::SharedMemory::remove(registry_name(prefix_));
}

Expected<RegistryOwner, std::string> RegistryOwner::create(const std::string& prefix,
                                                           const std::vector<RouteInfo>& routes,
                                                           std::uint32_t ring_bytes,
                                                           const platform::SegmentAccess& access) {
  if (!is_valid_object_word(prefix, true)) return Unexpected{"invalid shared-memory prefix '" + prefix + "'"};
  if (routes.empty() || routes.size() > kMaxRoutes) {
    return Unexpected{"between 1 and " + std::to_string(kMaxRoutes) + " routes are supported"};
  }
  const std::string name = registry_name(prefix);
  // A registry that exists is never removed: it belongs to a live service (refuse, naming it) or to
  // someone else; either way it is not ours. (On Windows a dead service's objects vanish with the last
  // handle; creating Global\ objects takes a privilege ordinary users lack, docs/security.md.)
  auto memory = platform::SharedMemory::create(name, sizeof(RegistryHeader), access);
  if (!memory) {
    if (auto existing = platform::SharedMemory::open(name); existing && existing->size() >= sizeof(RegistryHeader)) {
      const RegistryHeader* other = header_of(*existing);
      const ProcessStamp owner = other->service;
      if (other->prefix.magic == kMagic && platform::is_alive(owner)) {
        return Unexpected{"another 1chserver (pid " + std::to_string(owner.pid) + ") owns the shared memory '" + name +
                          "'; stop it or choose another shm_prefix"};
      }
    }
    return Unexpected{memory.error()};
  }
  auto* h = new (memory->data()) RegistryHeader{};
  h->prefix.magic = kMagic;
  h->prefix.layout_version = kLayoutVersion;
  h->prefix.kind = static_cast<std::uint32_t>(SegmentKind::registry);
  h->prefix.total_bytes = memory->size();
  h->service = platform::current_process();
  h->route_count = static_cast<std::uint32_t>(routes.size());
  h->ring_bytes = ring_bytes;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const RouteInfo& r = routes[i];
    if (!is_valid_object_word(r.name)) return Unexpected{"invalid route name '" + r.name + "'"};
    if (r.slot_count == 0 || r.slot_count > kMaxSlotsPerRoute) {
      return Unexpected{"route '" + r.name + "': between 1 and " + std::to_string(kMaxSlotsPerRoute) + " workers"};
    }
    RouteEntry& e = h->routes[i];
    std::memcpy(e.name, r.name.data(), r.name.size());
    e.port = r.port;
    e.mode = static_cast<std::uint8_t>(r.mode);
    e.slot_count = r.slot_count;
  }
  auto attach_bell = platform::Doorbell::create(h->attach_bell, attach_bell_name(prefix), access);
  if (!attach_bell) return Unexpected{attach_bell.error()};
  auto slot_bell = platform::Doorbell::create(h->slot_bell, slot_bell_name(prefix), access);
  if (!slot_bell) return Unexpected{slot_bell.error()};
  h->prefix.ready.store(1, std::memory_order_release);
  return RegistryOwner(prefix, std::move(*memory), std::move(*attach_bell), std::move(*slot_bell));
}

void RegistryOwner::answer(std::uint32_t route, std::uint32_t slot, SlotState state, RefusalReason reason,
                           const ChannelToken& token) {
  AttachSlot& s = header_->routes[route].slots[slot];
  s.refusal = static_cast<std::uint32_t>(reason);
  if (state == SlotState::ready) {
    ++s.generation;
    s.token = token;
  }
  s.state.store(static_cast<std::uint32_t>(state), std::memory_order_release);
  slot_bell_.ring();
}

bool RegistryOwner::transition(std::uint32_t route, std::uint32_t slot, SlotState expected, SlotState next) {
  auto want = static_cast<std::uint32_t>(expected);
  const bool done = header_->routes[route].slots[slot].state.compare_exchange_strong(
      want, static_cast<std::uint32_t>(next), std::memory_order_acq_rel);
  if (done) slot_bell_.ring();
  return done;
}

// ---- add-in side --------------------------------------------------------------------------------------

RegistryClient::RegistryClient(std::string prefix, platform::SharedMemory memory, platform::Doorbell attach_bell,
                               platform::Doorbell slot_bell)
    : prefix_(std::move(prefix)),
      memory_(std::move(memory)),
      header_(header_of(memory_)),
      attach_bell_(std::move(attach_bell)),
      slot_bell_(std::move(slot_bell)) {}

Expected<RegistryClient, std::string> RegistryClient::open(const std::string& prefix) {
  const std::string name = registry_name(prefix);
  auto memory = platform::SharedMemory::open(name);
  if (!memory) {
    // The OS's own wording of EACCES / ERROR_ACCESS_DENIED: the service runs, this user may not attach.
    if (memory.error().find("Permission denied") != std::string::npos ||
        memory.error().find("Access is denied") != std::string::npos) {
      return Unexpected{access_denied_text(memory.error())};
    }
    return Unexpected{service_not_running_text(memory.error())};
  }
  if (memory->size() < sizeof(SegmentPrefix) + sizeof(VersionMismatchReport)) {
    return Unexpected{"'" + name + "' is not a 1chserver registry"};
  }
  auto* h = header_of(*memory);
  if (h->prefix.magic != kMagic) return Unexpected{"'" + name + "' is not a 1chserver registry"};
  if (h->prefix.layout_version != kLayoutVersion) {
    // Leave word at the version-independent offset so the service can log who was refused.
    h->mismatch.addin_layout_version = kLayoutVersion;
    h->mismatch.addin_pid = platform::current_process().pid;
    h->mismatch.count.fetch_add(1, std::memory_order_release);
    return Unexpected{version_mismatch_text(h->prefix.layout_version)};
  }
  if (memory->size() < sizeof(RegistryHeader) || h->prefix.ready.load(std::memory_order_acquire) != 1) {
    return Unexpected{"the 1chserver registry '" + name + "' is incomplete"};
  }
  if (!platform::is_alive(h->service)) {
    return Unexpected{"служба 1chserver не запущена / the 1chserver service (pid " + std::to_string(h->service.pid) +
                      ") is not running"};
  }
  auto attach_bell = platform::Doorbell::open(h->attach_bell, attach_bell_name(prefix));
  if (!attach_bell) return Unexpected{attach_bell.error()};
  auto slot_bell = platform::Doorbell::open(h->slot_bell, slot_bell_name(prefix));
  if (!slot_bell) return Unexpected{slot_bell.error()};
  return RegistryClient(prefix, std::move(*memory), std::move(*attach_bell), std::move(*slot_bell));
}

std::vector<RouteInfo> RegistryClient::routes() const {
  std::vector<RouteInfo> out;
  const std::uint32_t count = std::min(header_->route_count, kMaxRoutes);
  for (std::uint32_t i = 0; i < count; ++i) out.push_back(info_of(header_->routes[i]));
  return out;
}

Expected<Claim, std::string> RegistryClient::attach(std::optional<std::uint16_t> port, const std::string& name,
                                                    std::uint32_t flags, std::chrono::milliseconds timeout) {
  const auto all = routes();
  const auto route = find_route(all, port, name);
  if (!route) return Unexpected{route.error()};
  RouteEntry& entry = header_->routes[*route];
  const std::uint32_t slots = std::min(entry.slot_count, kMaxSlotsPerRoute);
  std::optional<std::uint32_t> slot;
  for (std::uint32_t i = 0; i < slots && !slot; ++i) {
    auto expected = static_cast<std::uint32_t>(SlotState::free);
    if (entry.slots[i].state.compare_exchange_strong(expected, static_cast<std::uint32_t>(SlotState::claiming)))
      slot = i;
  }
  if (!slot) {
    return Unexpected{slots_taken_text(all[*route].name, slots)};
  }
  AttachSlot& s = entry.slots[*slot];
  s.addin = platform::current_process();
  s.addin_flags = flags;
  s.claim_token = std::random_device{}();
  s.state.store(static_cast<std::uint32_t>(SlotState::claimed), std::memory_order_release);
  attach_bell_.ring();

  platform::Doorbell& answered = slot_bell_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::uint32_t seen = answered.sequence();
    const auto state = static_cast<SlotState>(s.state.load(std::memory_order_acquire));
    if (state == SlotState::ready) break;
    if (state == SlotState::refused) {
      const auto reason = static_cast<RefusalReason>(s.refusal);
      s.state.store(static_cast<std::uint32_t>(SlotState::free), std::memory_order_release);
      return Unexpected{reason == RefusalReason::service_stopping
                            ? service_stopping_text()
                            : std::string("the service refused the attach: it could not create the channel")};
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      auto claimed = static_cast<std::uint32_t>(SlotState::claimed);
      if (s.state.compare_exchange_strong(claimed, static_cast<std::uint32_t>(SlotState::free))) {
        return Unexpected{"служба не ответила на подключение / the service did not answer the attach request in " +
                          std::to_string(timeout.count()) + " ms"};
      }
      continue;  // the service answered just now
    }
    answered.wait(seen, std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                                 std::chrono::milliseconds(100)));
  }
  Claim claim;
  claim.route_index = *route;
  claim.slot_index = *slot;
  claim.generation = s.generation;
  const ChannelToken token = s.token;
  claim.route = all[*route];
  claim.channel_name = channel_name(prefix_, header_->service.pid, *route, *slot, claim.generation, token);
  return claim;
}

}  // namespace hserver::shm
