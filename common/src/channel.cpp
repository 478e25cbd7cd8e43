#include "hserver/common/shm/channel.hpp"

#include <algorithm>
#include <new>

#include "hserver/common/platform/process.hpp"

namespace hserver::shm {

std::uint64_t monotonic_ms() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

namespace {

constexpr bool is_power_of_two(std::uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}
// Rings larger than this are refused on both sides: a u32 ring size fits, but nobody configures 2 GiB.
constexpr std::uint64_t kMaxRingBytes = 1ull << 30;

bool valid_ring_bytes(std::uint64_t ring_bytes) {
  return is_power_of_two(ring_bytes) && ring_bytes >= 4096 && ring_bytes <= kMaxRingBytes;
}

std::byte* base(const platform::SharedMemory& m) {
  return static_cast<std::byte*>(m.data());
}
ChannelHeader* header_of(const platform::SharedMemory& m) {
  return reinterpret_cast<ChannelHeader*>(m.data());
}

// The ring views come from `ring_bytes` alone: the request ring right after the header, the response ring
// after it. The offsets and capacities in the shared header are written for the reader's information and
// never read back.
RingControl& outbound_ring(ChannelHeader& h, Side side) {
  return side == Side::service ? h.request_ring : h.response_ring;
}
RingControl& inbound_ring(ChannelHeader& h, Side side) {
  return side == Side::service ? h.response_ring : h.request_ring;
}
std::byte* ring_data(const platform::SharedMemory& m, std::uint32_t ring_bytes, bool request_ring) {
  return base(m) + sizeof(ChannelHeader) + (request_ring ? 0 : std::uint64_t{ring_bytes});
}

}  // namespace

Channel::Channel(Side side, platform::SharedMemory memory, std::uint32_t ring_bytes, const ProcessStamp& peer,
                 platform::Doorbell own_bell, platform::Doorbell peer_bell)
    : side_(side),
      memory_(std::move(memory)),
      header_(header_of(memory_)),
      ring_bytes_(ring_bytes),
      writer_(outbound_ring(*header_, side), ring_data(memory_, ring_bytes, side == Side::service), ring_bytes),
      reader_(inbound_ring(*header_, side), ring_data(memory_, ring_bytes, side != Side::service), ring_bytes),
      own_bell_(std::move(own_bell)),
      peer_bell_(std::move(peer_bell)),
      peer_(peer) {}

Channel::Channel(Channel&& other) noexcept
    : side_(other.side_),
      memory_(std::move(other.memory_)),
      header_(other.header_),
      ring_bytes_(other.ring_bytes_),
      writer_(other.writer_),
      reader_(other.reader_),
      own_bell_(std::move(other.own_bell_)),
      peer_bell_(std::move(other.peer_bell_)),
      max_message_bytes_(other.max_message_bytes_),
      peer_(other.peer_),
      queued_(std::move(other.queued_)),
      writing_(std::move(other.writing_)),  // moved before any thread uses the channel
      assembling_(std::move(other.assembling_)) {}

Channel::~Channel() = default;

Expected<Channel, std::string> Channel::create(const std::string& name, std::uint32_t ring_bytes,
                                               const platform::SegmentAccess& access, std::uint32_t route_index,
                                               std::uint32_t slot_index, std::uint32_t generation,
                                               const ProcessStamp& addin) {
  if (!valid_ring_bytes(ring_bytes)) {
    return Unexpected{std::string("ring size must be a power of two between 4096 bytes and 1 GiB")};
  }
  auto memory = platform::SharedMemory::create(name, channel_segment_bytes(ring_bytes), access);
  if (!memory) return Unexpected{memory.error()};
  return create_in(std::move(*memory), ring_bytes, access, route_index, slot_index, generation, addin);
}

Expected<Channel, std::string> Channel::create_sealed(std::uint32_t ring_bytes, std::uint32_t route_index,
                                                      std::uint32_t slot_index, std::uint32_t generation,
                                                      const ProcessStamp& addin) {
  if (!valid_ring_bytes(ring_bytes)) {
    return Unexpected{std::string("ring size must be a power of two between 4096 bytes and 1 GiB")};
  }
  auto memory = platform::SharedMemory::create_sealed(channel_segment_bytes(ring_bytes));
  if (!memory) return Unexpected{memory.error()};
  return create_in(std::move(*memory), ring_bytes, {}, route_index, slot_index, generation, addin);
}

Expected<Channel, std::string> Channel::create_in(platform::SharedMemory memory, std::uint32_t ring_bytes,
                                                  const platform::SegmentAccess& access, std::uint32_t route_index,
                                                  std::uint32_t slot_index, std::uint32_t generation,
                                                  const ProcessStamp& addin) {
  const std::string name = memory.name();
  auto* h = new (memory.data()) ChannelHeader{};
  h->prefix.magic = kMagic;
  h->prefix.layout_version = kLayoutVersion;
  h->prefix.kind = static_cast<std::uint32_t>(SegmentKind::channel);
  h->prefix.total_bytes = channel_segment_bytes(ring_bytes);
  h->service = platform::current_process();
  h->addin = addin;
  h->route_index = route_index;
  h->slot_index = slot_index;
  h->generation = generation;
  h->request_ring.capacity = ring_bytes;
  h->request_ring.data_offset = sizeof(ChannelHeader);
  h->response_ring.capacity = ring_bytes;
  h->response_ring.data_offset = sizeof(ChannelHeader) + ring_bytes;
  h->service_heartbeat_ms.store(monotonic_ms());
  h->addin_heartbeat_ms.store(monotonic_ms());  // grace: the add-in has not opened it yet
  h->service_state.store(static_cast<std::uint32_t>(EndState::attached));
  auto service_bell = platform::Doorbell::create(h->service_bell, service_bell_name(name), access);
  if (!service_bell) return Unexpected{service_bell.error()};
  auto addin_bell = platform::Doorbell::create(h->addin_bell, addin_bell_name(name), access);
  if (!addin_bell) return Unexpected{addin_bell.error()};
  Channel channel(Side::service, std::move(memory), ring_bytes, addin, std::move(*service_bell),
                  std::move(*addin_bell));
  channel.header_->prefix.ready.store(1, std::memory_order_release);
  return channel;
}

Expected<Channel, std::string> Channel::open(const std::string& name) {
  auto memory = platform::SharedMemory::open(name);
  if (!memory) return Unexpected{memory.error()};
  if (memory->size() < sizeof(ChannelHeader)) return Unexpected{"channel '" + name + "' is too small"};
  // The geometry, read once into private memory; everything after uses these copies. Both rings have the
  // service's one ring size and sit where create_in put them, or the segment is not believed.
  const ChannelHeader* h = header_of(*memory);
  const std::uint64_t request_capacity = h->request_ring.capacity;
  const std::uint64_t response_capacity = h->response_ring.capacity;
  const std::uint64_t request_offset = h->request_ring.data_offset;
  const std::uint64_t response_offset = h->response_ring.data_offset;
  if (!valid_ring_bytes(request_capacity) || response_capacity != request_capacity ||
      request_offset != sizeof(ChannelHeader) || response_offset != sizeof(ChannelHeader) + request_capacity ||
      channel_segment_bytes(static_cast<std::uint32_t>(request_capacity)) > memory->size()) {
    return Unexpected{"channel '" + name + "' has a bad geometry"};
  }
  return open_in(std::move(*memory), static_cast<std::uint32_t>(request_capacity));
}

Expected<Channel, std::string> Channel::adopt(platform::SharedMemory memory, std::uint32_t ring_bytes) {
  if (!valid_ring_bytes(ring_bytes) || memory.size() != channel_segment_bytes(ring_bytes)) {
    return Unexpected{"the channel from the service has a bad geometry: " + std::to_string(memory.size()) +
                      " bytes for rings of " + std::to_string(ring_bytes) + " bytes"};
  }
  return open_in(std::move(memory), ring_bytes);
}

Expected<Channel, std::string> Channel::open_in(platform::SharedMemory memory, std::uint32_t ring_bytes) {
  const std::string name = memory.name();
  const ChannelHeader* h = header_of(memory);
  if (h->prefix.magic != kMagic || h->prefix.kind != static_cast<std::uint32_t>(SegmentKind::channel)) {
    return Unexpected{"'" + name + "' is not a 1chserver channel"};
  }
  if (h->prefix.layout_version != kLayoutVersion) {
    return Unexpected{"channel layout version " + std::to_string(h->prefix.layout_version) +
                      " differs from the add-in's " + std::to_string(kLayoutVersion)};
  }
  if (h->prefix.ready.load(std::memory_order_acquire) != 1) return Unexpected{"channel '" + name + "' is not ready"};
  auto* header = header_of(memory);
  const ProcessStamp service = header->service;
  auto service_bell = platform::Doorbell::open(header->service_bell, service_bell_name(name));
  if (!service_bell) return Unexpected{service_bell.error()};
  auto addin_bell = platform::Doorbell::open(header->addin_bell, addin_bell_name(name));
  if (!addin_bell) return Unexpected{addin_bell.error()};
  return Channel(Side::addin, std::move(memory), ring_bytes, service, std::move(*addin_bell), std::move(*service_bell));
}

void Channel::send(MessageType type, std::uint64_t id, std::vector<std::byte> payload, Flush flush) {
  {
    std::lock_guard lock(queue_mutex_);
    queued_.push_back(Outbound{type, id, std::move(payload)});
  }
  if (flush == Flush::later) {
    own_bell_.ring();
    return;
  }
  // A ring error found here is found again, and handled, by the channel thread's next pump; what did not
  // fit is written by the channel thread as the peer makes room. Only then is that thread woken.
  const auto wrote = write_outbound(flush == Flush::now);
  if (!wrote || outbound_pending()) own_bell_.ring();
}

void Channel::set_max_message_bytes(std::uint64_t bytes) noexcept {
  max_message_bytes_ = bytes;
  if (side_ == Side::service) header_->max_response_bytes = bytes;
}

void Channel::detach_with(DetachReason reason) noexcept {
  header_->service_detach_reason.store(static_cast<std::uint32_t>(reason), std::memory_order_release);
  set_state(EndState::detached);
}

DetachReason Channel::peer_detach_reason() const noexcept {
  const std::uint32_t reason = header_->service_detach_reason.load(std::memory_order_acquire);
  return reason <= static_cast<std::uint32_t>(DetachReason::response_too_large) ? static_cast<DetachReason>(reason)
                                                                                : DetachReason::unspecified;
}

bool Channel::outbound_pending() const {
  std::scoped_lock lock(producer_mutex_, queue_mutex_);
  return !queued_.empty() || !writing_.empty();
}

Expected<bool, ProtocolError> Channel::pump(const std::function<void(Message&&)>& on_message) {
  auto read = read_inbound(on_message);
  if (!read) return read;
  auto wrote = write_outbound();
  if (!wrote) return wrote;
  return *read || *wrote;
}

Expected<bool, ProtocolError> Channel::read_inbound(const std::function<void(Message&&)>& on_message) {
  bool consumed = false;
  // At most one ring's worth per call: a peer producing as fast as we consume must not keep the channel
  // thread in here forever (no heartbeat, no liveness check, a stop never seen). The caller pumps again.
  std::uint64_t budget = reader_.capacity();
  for (;;) {
    if (consumed && budget == 0) break;
    auto available = reader_.available();
    if (!available) return Unexpected{ProtocolError{to_string(available.error())}};
    if (*available < sizeof(FrameHeader)) break;
    const FrameHeader frame = reader_.peek_header();
    if (frame_bytes(frame.payload_bytes) > *available) {
      // The producer publishes whole frames, so a frame longer than what is published is corrupt.
      return Unexpected{ProtocolError{"frame of " + std::to_string(frame.payload_bytes) + " bytes overruns the " +
                                      std::to_string(*available) + " bytes published"}};
    }
    if (!is_known_message_type(frame.type)) {
      return Unexpected{ProtocolError{"unknown message type " + std::to_string(frame.type)}};
    }
    const bool first = (frame.flags & kFrameFirst) != 0;
    const bool last = (frame.flags & kFrameLast) != 0;
    if (first == assembling_.has_value()) {
      return Unexpected{ProtocolError{first ? "a new message began inside another" : "a fragment without its first"}};
    }
    if (first) {
      assembling_.emplace(Message{static_cast<MessageType>(frame.type), frame.message_id, {}});
    } else if (assembling_->id != frame.message_id || static_cast<std::uint16_t>(assembling_->type) != frame.type) {
      return Unexpected{ProtocolError{"a fragment of message " + std::to_string(frame.message_id) + " inside message " +
                                      std::to_string(assembling_->id)}};
    }
    auto& payload = assembling_->payload;
    if (payload.size() + frame.payload_bytes > max_message_bytes_) {
      return Unexpected{ProtocolError{
          "message " + std::to_string(frame.message_id) + " exceeds " + std::to_string(max_message_bytes_) + " bytes",
          frame.message_id}};
    }
    const std::size_t old_size = payload.size();
    payload.resize(old_size + frame.payload_bytes);
    reader_.copy_payload(std::span(payload).subspan(old_size));
    reader_.consume(frame);
    consumed = true;
    budget -= std::min(budget, frame_bytes(frame.payload_bytes));
    if (last) {
      Message message = std::move(*assembling_);
      assembling_.reset();
      on_message(std::move(message));
    }
  }
  if (consumed) peer_bell_.ring();  // space freed: a producer waiting for it may continue
  return consumed;
}

Expected<bool, ProtocolError> Channel::write_outbound(bool ring_peer) {
  std::lock_guard producer(producer_mutex_);
  {
    std::lock_guard lock(queue_mutex_);
    while (!queued_.empty()) {
      writing_.push_back(std::move(queued_.front()));
      queued_.pop_front();
    }
  }
  // Fragments are at most a quarter of the ring, so a large message streams while the peer drains it.
  const std::uint64_t max_fragment = writer_.capacity() / 4;
  bool wrote = false;
  while (!writing_.empty()) {
    Outbound& message = writing_.front();
    auto free = writer_.free_bytes();
    if (!free) return Unexpected{ProtocolError{to_string(free.error())}};
    const std::uint64_t remaining = message.payload.size() - message.offset;
    if (*free < frame_bytes(std::min<std::uint64_t>(remaining, 1))) break;
    const std::uint64_t room = (*free - sizeof(FrameHeader)) & ~std::uint64_t{kFrameAlignment - 1};
    const std::uint64_t chunk = std::min({remaining, max_fragment, room});
    if (chunk == 0 && remaining != 0) break;
    FrameHeader frame{};
    frame.payload_bytes = static_cast<std::uint32_t>(chunk);
    frame.type = static_cast<std::uint16_t>(message.type);
    frame.message_id = message.id;
    frame.flags =
        static_cast<std::uint16_t>((message.offset == 0 ? kFrameFirst : 0) | (chunk == remaining ? kFrameLast : 0));
    writer_.write(frame, std::span(message.payload).subspan(message.offset, static_cast<std::size_t>(chunk)));
    message.offset += static_cast<std::size_t>(chunk);
    wrote = true;
    if (chunk == remaining) writing_.pop_front();
  }
  if (wrote && ring_peer) peer_bell_.ring();
  return wrote;
}

void Channel::beat() noexcept {
  auto& beat = side_ == Side::service ? header_->service_heartbeat_ms : header_->addin_heartbeat_ms;
  beat.store(monotonic_ms(), std::memory_order_relaxed);
}

std::uint64_t Channel::peer_heartbeat_ms() const noexcept {
  const auto& beat = side_ == Side::service ? header_->addin_heartbeat_ms : header_->service_heartbeat_ms;
  return beat.load(std::memory_order_relaxed);
}

void Channel::set_state(EndState state) noexcept {
  auto& own = side_ == Side::service ? header_->service_state : header_->addin_state;
  own.store(static_cast<std::uint32_t>(state), std::memory_order_release);
  peer_bell_.ring();
}

EndState Channel::peer_state() const noexcept {
  const auto& peer = side_ == Side::service ? header_->addin_state : header_->service_state;
  return static_cast<EndState>(peer.load(std::memory_order_acquire));
}

}  // namespace hserver::shm
