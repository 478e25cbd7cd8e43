// Windows attach: the registry section `Global\<prefix>.registry`. An add-in claims a free slot of its
// route; this thread wakes on the attach bell (and every 250 ms), creates a channel section for each
// claimed slot under a name with a 128-bit random token and answers the slot `ready` (the token goes with
// it), or `refused`. Creating Global\ objects takes SeCreateGlobalPrivilege, which ordinary users lack, and
// a section's size is fixed when it is created, so on Windows names stay; they just cannot be guessed.
#include "dispatch/attach_acceptor.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hserver/common/platform/random.hpp"
#include "hserver/common/shm/registry.hpp"

namespace hserver::service {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kTick = 250ms;
constexpr auto kMismatchLogEvery = 1s;  // refusals of other layout versions: at most one line a second

}  // namespace

class RegistryAttachAcceptor final : public AttachAcceptor {
 public:
  RegistryAttachAcceptor(const ServiceConfig& config, AttachHandler& handler) : config_(config), handler_(handler) {
    std::vector<shm::RouteInfo> infos;
    for (const auto& route : config.routes) {
      infos.push_back(shm::RouteInfo{route.name, route.port, route.mode, config.max_workers_per_route});
      names_.push_back(route.name);
    }
    in_use_.assign(infos.size(), std::vector<bool>(config.max_workers_per_route, false));
    reclaim_logged_ = in_use_;
    auto registry = shm::RegistryOwner::create(config.shm_prefix, infos, config.ring_bytes, segment_access());
    if (!registry) throw std::runtime_error(registry.error());
    registry_.emplace(std::move(*registry));
    spdlog::info("shared memory '{}' ready: {} route(s), rings of {} KiB", shm::registry_name(config.shm_prefix),
                 infos.size(), config.ring_bytes / 1024);
  }

  void start() override {
    thread_ = std::thread([this] { run(); });
  }

  ~RegistryAttachAcceptor() override { stop(); }

  void stop() override {
    if (stop_.exchange(true)) return;
    registry_->attach_bell().ring();
    if (thread_.joinable()) thread_.join();
  }

  void wake() override { registry_->attach_bell().ring(); }

  void release(std::uint32_t route, std::uint32_t slot) override {
    in_use_[route][slot] = false;
    reclaim_logged_[route][slot] = false;
    registry_->transition(route, slot, shm::SlotState::ready, shm::SlotState::free);
  }

 private:
  platform::SegmentAccess segment_access() const {
    platform::SegmentAccess access;
    access.posix_group = config_.shm_posix_group;
    access.windows_users = config_.shm_windows_users;
    return access;
  }

  void run() {
    auto& bell = registry_->attach_bell();
    std::uint32_t mismatches_logged = 0;
    auto next_mismatch_log = Clock::now();
    while (!stop_.load()) {
      const std::uint32_t seen = bell.sequence();
      auto& header = registry_->header();
      // The bounds come from our own configuration, never from the shared header: any add-in may write
      // there, and a route or slot count of its choosing would send this thread past the segment.
      for (std::uint32_t r = 0; r < in_use_.size(); ++r) {
        for (std::uint32_t s = 0; s < config_.max_workers_per_route; ++s) {
          auto& slot = header.routes[r].slots[s];
          if (slot.state.load(std::memory_order_acquire) == static_cast<std::uint32_t>(shm::SlotState::claimed)) {
            accept(r, s);
          }
        }
      }
      // At most one line a second: an add-in can bump the count in a loop (a log flood otherwise).
      const std::uint32_t mismatches = header.mismatch.count.load(std::memory_order_acquire);
      if (mismatches != mismatches_logged && Clock::now() >= next_mismatch_log) {
        const std::uint32_t more = mismatches - mismatches_logged - 1;  // refusals this line does not name
        mismatches_logged = mismatches;
        next_mismatch_log = Clock::now() + kMismatchLogEvery;
        spdlog::error(
            "refused an add-in (pid {}) built for shared-memory layout {}; this service uses layout {}: "
            "install matching versions{}",
            header.mismatch.addin_pid, header.mismatch.addin_layout_version, shm::kLayoutVersion,
            more == 0 ? std::string{} : " (and " + std::to_string(more) + " more since the last report)");
      }
      handler_.housekeeping();
      bell.wait(seen, kTick);
    }
  }

  void accept(std::uint32_t r, std::uint32_t s) {
    auto& slot = registry_->header().routes[r].slots[s];
    const shm::ProcessStamp addin = slot.addin;
    if (!handler_.accepting()) {
      registry_->answer(r, s, shm::SlotState::refused, shm::RefusalReason::service_stopping);
      return;
    }
    // An add-in claims only a free slot, so `claimed` over a slot we still serve was written over it (a
    // hostile or broken add-in). Put the slot back instead of opening another channel and thread for it each
    // time: that would be a way to make the service create channels and threads without end.
    if (in_use_[r][s]) {
      if (!reclaim_logged_[r][s]) {
        reclaim_logged_[r][s] = true;
        spdlog::warn("route '{}': slot {} was claimed again while in use; ignored", names_[r], s);
      }
      registry_->transition(r, s, shm::SlotState::claimed, shm::SlotState::ready);
      return;
    }
    shm::ChannelToken token{};
    if (!platform::fill_random(&token, sizeof token)) {
      spdlog::error("route '{}': cannot attach add-in pid {}: the OS gave no random bytes", names_[r], addin.pid);
      registry_->answer(r, s, shm::SlotState::refused, shm::RefusalReason::channel_failed);
      return;
    }
    const std::uint32_t generation = slot.generation + 1;
    const std::string name =
        shm::channel_name(config_.shm_prefix, registry_->header().service.pid, r, s, generation, token);
    // Create fails if the name exists (ERROR_ALREADY_EXISTS): an object we did not create is never used.
    auto channel = shm::Channel::create(name, config_.ring_bytes, segment_access(), r, s, generation, addin);
    if (!channel) {
      spdlog::error("route '{}': cannot attach add-in pid {}: {}", names_[r], addin.pid, channel.error());
      registry_->answer(r, s, shm::SlotState::refused, shm::RefusalReason::channel_failed);
      return;
    }
    if (!handler_.adopt(r, s, std::move(*channel))) {
      registry_->answer(r, s, shm::SlotState::refused, shm::RefusalReason::service_stopping);
      return;
    }
    in_use_[r][s] = true;
    registry_->answer(r, s, shm::SlotState::ready, shm::RefusalReason::none, token);
    spdlog::info("route '{}': add-in pid {} attached (slot {})", names_[r], addin.pid, s);
  }

  const ServiceConfig& config_;
  AttachHandler& handler_;
  std::vector<std::string> names_;
  std::vector<std::vector<bool>> in_use_;          // acceptor thread only
  std::vector<std::vector<bool>> reclaim_logged_;  // acceptor thread only
  std::optional<shm::RegistryOwner> registry_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::unique_ptr<AttachAcceptor> AttachAcceptor::create(const ServiceConfig& config, AttachHandler& handler) {
  return std::make_unique<RegistryAttachAcceptor>(config, handler);
}

}  // namespace hserver::service
