#include "dispatch/worker_link.hpp"

#include <utility>

#include "hserver/common/platform/process.hpp"

namespace hserver::service {

WorkerLink::WorkerLink(shm::Channel channel, std::chrono::milliseconds liveness, std::uint64_t max_message_bytes)
    : channel_(std::move(channel)), liveness_(liveness), max_message_bytes_(max_message_bytes) {
  // Published in the channel header too: the add-in refuses a larger answer where 1C gives it.
  channel_.set_max_message_bytes(max_message_bytes_);
}

WorkerLink::~WorkerLink() {
  stop();
  join();
}

void WorkerLink::start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  thread_ = std::thread([this] { run(); });
}

void WorkerLink::send(shm::MessageType type, std::uint64_t id, std::vector<std::byte> payload,
                      shm::Channel::Flush flush) {
  channel_.send(type, id, std::move(payload), flush);
}

void WorkerLink::reject(std::string violation) {
  if (violation_.empty()) violation_ = std::move(violation);
}

void WorkerLink::stop() {
  if (stop_.exchange(true)) return;
  channel_.detach_with(shm::DetachReason::service_stopping);  // the add-in notices at once and tells 1C why
  channel_.wake();
}

void WorkerLink::join() {
  if (thread_.joinable()) thread_.join();
}

void WorkerLink::run() {
  const auto on_message = [this](shm::Message&& m) {
    if (violation_.empty()) callbacks_.message(std::move(m));  // after a violation nothing more is believed
  };
  std::optional<Departure> departure;
  // The service lets the add-in go: it is told why, at once.
  const auto dismiss = [&](shm::DetachReason reason, std::string why, std::optional<std::uint64_t> oversized = {}) {
    departure = Departure{std::move(why), oversized};
    channel_.detach_with(reason);
  };
  std::uint64_t last_beat = 0;
  PeerLiveness liveness(channel_.peer_heartbeat_ms(), shm::monotonic_ms(),
                        static_cast<std::uint64_t>(liveness_.count()));
  while (!stop_.load()) {
    const std::uint32_t seen = channel_.bell_sequence();
    auto progress = channel_.pump(on_message);
    if (!progress && progress.error().oversized_message) {
      // Told apart from a broken channel: the frames were sound, the answer too large. An add-in of this
      // layout refuses such an answer itself, so one that arrives comes from a broken add-in: its channel
      // is dropped all the same, and the dispatcher answers that request 502 naming the size.
      const std::uint64_t id = *progress.error().oversized_message;
      dismiss(shm::DetachReason::response_too_large,
              "answer too large, channel dropped: the answer to request " + std::to_string(id) +
                  " is larger than the " + std::to_string(max_message_bytes_) +
                  " bytes the service accepts (http.body_limit + 1 MiB)",
              id);
      break;
    }
    if (!progress) {
      dismiss(shm::DetachReason::protocol_error, "protocol error, channel dropped: " + progress.error().what);
      break;
    }
    if (!violation_.empty()) {
      dismiss(shm::DetachReason::protocol_error, "protocol error, channel dropped: " + violation_);
      break;
    }
    const std::uint64_t now = shm::monotonic_ms();
    // Once a tick, not once a message: asking the OS about the process reads /proc (three system calls),
    // which under load would cost more than the request itself.
    const bool tick = now - last_beat >= static_cast<std::uint64_t>(kTick.count());
    if (tick) {
      channel_.beat();
      last_beat = now;
    }
    const bool beating = liveness.alive(channel_.peer_heartbeat_ms(), now);
    if (channel_.peer_state() == shm::EndState::detached) {
      departure = Departure{"detached", std::nullopt};
    } else if (tick && !platform::is_alive(channel_.peer_process())) {
      departure = Departure{"process ended", std::nullopt};
    } else if (!beating) {
      dismiss(shm::DetachReason::no_heartbeat, "no heartbeat for " + std::to_string(liveness.silence_ms()) + " ms");
    }
    if (departure) {
      (void)channel_.pump(on_message);  // answers it wrote before going still count
      break;
    }
    if (!*progress) channel_.wait(seen, kTick);
  }
  if (departure) callbacks_.departed(*departure);
  finished_.store(true);
  callbacks_.ended();
}

}  // namespace hserver::service
