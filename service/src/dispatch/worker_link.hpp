#pragma once
/// @brief One attached add-in's channel thread: moves frames both ways, beats the service's heartbeat and
/// watches that the add-in lives (its heartbeat changing by the service's clock, its process existing, its
/// announced state). It knows nothing of requests: every message goes to the dispatcher, which may reject
/// the add-in for it; when the add-in leaves or is dismissed, the dispatcher is told why, once.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hserver/common/shm/channel.hpp"

namespace hserver::service {

/// @brief The add-in's heartbeat counts when its value changes, timed by the service's clock: a value it
/// wrote far in the future (or any frozen value) must not keep a silent add-in alive. Until its first beat
/// changes, the silence allowed counts from the attach. Pure: times are passed in.
class PeerLiveness {
 public:
  PeerLiveness(std::uint64_t beat, std::uint64_t now_ms, std::uint64_t silence_ms)
      : beat_(beat), changed_at_(now_ms), silence_ms_(silence_ms) {}
  /// @brief The add-in's heartbeat read at `now_ms`: false once it has not changed for longer than allowed.
  bool alive(std::uint64_t beat, std::uint64_t now_ms) {
    if (beat != beat_) {
      beat_ = beat;
      changed_at_ = now_ms;
    }
    return now_ms - changed_at_ <= silence_ms_;
  }
  std::uint64_t silence_ms() const { return silence_ms_; }

 private:
  std::uint64_t beat_;
  std::uint64_t changed_at_;
  std::uint64_t silence_ms_;
};

/// Why an add-in is no longer served.
struct Departure {
  std::string why;  ///< "detached", "process ended", "no heartbeat for N ms", "protocol error, channel dropped: ..."
  std::optional<std::uint64_t> oversized;  ///< the request whose answer was larger than the service accepts
};

class WorkerLink {
 public:
  struct Callbacks {
    std::function<void(shm::Message&&)> message;     ///< each message from the add-in (channel thread)
    std::function<void(const Departure&)> departed;  ///< once, when it left or was dismissed (not after stop())
    std::function<void()> ended;                     ///< last of all: finished() is true, join() returns at once
  };

  /// Heartbeat period: also the longest sleep of an idle channel thread.
  static constexpr std::chrono::milliseconds kTick{250};

  /// @param liveness silence after which the add-in is dismissed (no_heartbeat)
  /// @param max_message_bytes largest answer accepted from it, also published to it in the channel header
  WorkerLink(shm::Channel channel, std::chrono::milliseconds liveness, std::uint64_t max_message_bytes);
  WorkerLink(const WorkerLink&) = delete;
  WorkerLink& operator=(const WorkerLink&) = delete;
  ~WorkerLink();  ///< stop() and join()

  /// @brief Start the channel thread.
  void start(Callbacks callbacks);
  /// @brief Send a message to the add-in. Any thread.
  void send(shm::MessageType type, std::uint64_t id, std::vector<std::byte> payload,
            shm::Channel::Flush flush = shm::Channel::Flush::later);
  /// @brief From the message callback: the add-in broke the protocol. Nothing more it sends is delivered,
  /// and its channel is dropped ("protocol error, channel dropped: <violation>").
  void reject(std::string violation);
  /// @brief Any thread: the service stops. The add-in is told (it names the cause to 1C) and the thread
  /// ends without `departed`.
  void stop();
  bool stopping() const { return stop_.load(); }
  bool finished() const { return finished_.load(); }
  void join();

  shm::ProcessStamp peer() const { return channel_.peer_process(); }
  std::uint64_t max_message_bytes() const { return max_message_bytes_; }

 private:
  void run();

  shm::Channel channel_;
  const std::chrono::milliseconds liveness_;
  const std::uint64_t max_message_bytes_;
  Callbacks callbacks_;
  std::string violation_;  // channel thread only
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace hserver::service
