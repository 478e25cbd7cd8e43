#pragma once
/// @brief One add-in's channel: a mapped channel segment, its two rings, fragmentation and reassembly,
/// the two doorbells, heartbeats and states. The same class serves both ends; `Side` says which ring is
/// outbound.
///
/// Threading: send() and wake() may be called from any thread. pump(), wait() and the heartbeat calls
/// belong to one thread per end (the end's channel thread).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hserver/common/expected.hpp"
#include "hserver/common/platform/doorbell.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/shm/layout.hpp"
#include "hserver/common/shm/ring.hpp"

namespace hserver::shm {

enum class Side { service, addin };

/// @brief A whole message, reassembled from its fragments.
struct Message {
  MessageType type = MessageType::request;
  std::uint64_t id = 0;
  std::vector<std::byte> payload;
};

/// @brief Why a peer's frames cannot be read: the channel must be dropped.
struct ProtocolError {
  explicit ProtocolError(std::string text, std::optional<std::uint64_t> oversized = std::nullopt)
      : what(std::move(text)), oversized_message(oversized) {}
  std::string what;
  /// Set when the error is a message longer than set_max_message_bytes: its id (the rest is well formed),
  /// so the service can answer that request and log the size rather than a broken channel.
  std::optional<std::uint64_t> oversized_message;
};

/// @brief Milliseconds of the system-wide monotonic clock, comparable between processes.
std::uint64_t monotonic_ms() noexcept;

class Channel {
 public:
  /// @brief Service side: create and initialise the named segment `name` for one attach (Windows; named
  /// segments on POSIX serve the unit tests).
  static Expected<Channel, std::string> create(const std::string& name, std::uint32_t ring_bytes,
                                               const platform::SegmentAccess& access, std::uint32_t route_index,
                                               std::uint32_t slot_index, std::uint32_t generation,
                                               const ProcessStamp& addin);
  /// @brief Service side (POSIX): an unnamed segment that cannot change size
  /// (platform::SharedMemory::create_sealed); its descriptor goes to the one add-in it is for.
  static Expected<Channel, std::string> create_sealed(std::uint32_t ring_bytes, std::uint32_t route_index,
                                                      std::uint32_t slot_index, std::uint32_t generation,
                                                      const ProcessStamp& addin);
  /// @brief Add-in side: open the named segment the service created, checking magic, version and geometry.
  /// The ring size is read from the header once, checked against the mapping, and kept privately.
  static Expected<Channel, std::string> open(const std::string& name);
  /// @brief Add-in side (POSIX): take a segment received from the service, whose ring size the service
  /// announced over the attach socket. The segment's size must be exactly what that ring size makes.
  static Expected<Channel, std::string> adopt(platform::SharedMemory memory, std::uint32_t ring_bytes);

  Channel(Channel&&) noexcept;
  Channel& operator=(Channel&&) = delete;
  ~Channel();

  /// When a message is written into the ring.
  enum class Flush {
    later,  ///< by this end's channel thread, which send() wakes
    now,    ///< before send() returns, as far as the ring has room (the rest: later), and the peer is rung:
            ///< no hop through this end's channel thread on the hot path
    quiet,  ///< as `now`, but the peer is not rung: it reads the message with the next one it is woken for
            ///< (or when it collects what a departed peer left). For a notice that must be in shared memory
            ///< before the process may die but that nobody waits for, e.g. `taken` before 1C runs the code.
  };
  /// @brief Send a message to the peer. Any thread.
  void send(MessageType type, std::uint64_t id, std::vector<std::byte> payload, Flush flush = Flush::later);
  /// @brief Wake this end's channel thread (for example to notice a state change). Any thread.
  void wake() noexcept { own_bell_.ring(); }

  /// @brief Channel thread: read every complete inbound message into `on_message`, then write as much
  /// queued outbound data as fits. Returns true if anything moved. Rings the peer when it has news.
  Expected<bool, ProtocolError> pump(const std::function<void(Message&&)>& on_message);
  /// @brief True while outbound messages are queued or partly written.
  bool outbound_pending() const;

  /// @brief Channel thread: sequence to pass to wait(); read it before pump().
  std::uint32_t bell_sequence() const noexcept { return own_bell_.sequence(); }
  void wait(std::uint32_t seen, std::chrono::milliseconds timeout) noexcept { own_bell_.wait(seen, timeout); }

  void beat() noexcept;  ///< store this end's heartbeat (now)
  std::uint64_t peer_heartbeat_ms() const noexcept;
  void set_state(EndState state) noexcept;  ///< announce this end's state and ring the peer
  EndState peer_state() const noexcept;
  /// @brief Who the peer is: the stamp known when the channel was created (service side: the one the add-in
  /// claimed with) or opened (add-in side), kept privately so a peer scribbling on the header cannot pass
  /// itself off as another (live) process.
  ProcessStamp peer_process() const noexcept { return peer_; }

  ChannelHeader& header() const noexcept { return *header_; }
  const std::string& name() const noexcept { return memory_.name(); }
  const platform::SharedMemory& memory() const noexcept { return memory_; }
  /// @brief The capacity of each ring, as this side decided or validated it (never re-read).
  std::uint32_t ring_bytes() const noexcept { return ring_bytes_; }

  /// @brief Largest message accepted from the peer (default 1 GiB): more is a protocol error
  /// (ProtocolError::oversized_message names it). On the service side the limit is also published in the
  /// header (max_response_bytes), so the add-in can refuse a larger answer before sending it.
  void set_max_message_bytes(std::uint64_t bytes) noexcept;
  /// @brief Add-in side: the service's limit for one response message (0: not published).
  std::uint64_t peer_max_message_bytes() const noexcept { return header_->max_response_bytes; }

  /// @brief Service side: announce why the service lets the add-in go, then `detached`.
  void detach_with(DetachReason reason) noexcept;
  /// @brief Add-in side: why the service detached (unspecified if it did not say).
  DetachReason peer_detach_reason() const noexcept;

 private:
  struct Outbound {
    MessageType type;
    std::uint64_t id;
    std::vector<std::byte> payload;
    std::size_t offset = 0;  ///< payload bytes already written as fragments
  };

  Channel(Side side, platform::SharedMemory memory, std::uint32_t ring_bytes, const ProcessStamp& peer,
          platform::Doorbell own_bell, platform::Doorbell peer_bell);
  static Expected<Channel, std::string> create_in(platform::SharedMemory memory, std::uint32_t ring_bytes,
                                                  const platform::SegmentAccess& access, std::uint32_t route_index,
                                                  std::uint32_t slot_index, std::uint32_t generation,
                                                  const ProcessStamp& addin);
  static Expected<Channel, std::string> open_in(platform::SharedMemory memory, std::uint32_t ring_bytes);
  /// Names of the kernel objects behind the two bells (unused on POSIX).
  static std::string service_bell_name(const std::string& channel) { return channel + ".s"; }
  static std::string addin_bell_name(const std::string& channel) { return channel + ".a"; }
  Expected<bool, ProtocolError> read_inbound(const std::function<void(Message&&)>& on_message);
  Expected<bool, ProtocolError> write_outbound(bool ring_peer = true);

  Side side_;
  platform::SharedMemory memory_;
  ChannelHeader* header_;
  std::uint32_t ring_bytes_;
  RingWriter writer_;
  RingReader reader_;
  platform::Doorbell own_bell_;
  platform::Doorbell peer_bell_;
  std::uint64_t max_message_bytes_ = 1ull << 30;
  ProcessStamp peer_{};

  mutable std::mutex producer_mutex_;  ///< one writer of the outbound ring at a time (SPSC across processes)
  mutable std::mutex queue_mutex_;
  std::deque<Outbound> queued_;        ///< guarded by queue_mutex_
  std::deque<Outbound> writing_;       ///< guarded by producer_mutex_
  std::optional<Message> assembling_;  ///< channel thread only: a fragmented message in progress
};

}  // namespace hserver::shm
