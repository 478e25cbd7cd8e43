#pragma once
/// @brief The shared-memory layout both sides agree on. See docs/shared-memory-protocol.md.
///
/// Rules: fixed-width fields only, no pointers, explicit alignment, so a 32-bit add-in (Windows x86 1C)
/// and the 64-bit service map the same bytes the same way; every segment starts with a SegmentPrefix that
/// never changes between layout versions, so a mismatch is always detected and reported, never misread.
/// Only the service creates segments; add-ins open them. A struct with a 64-bit field is alignas(8): the
/// i386 System V ABI (32-bit Linux 1C) aligns uint64_t to 4 inside structs, Windows x86 and x64 to 8.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hserver::shm {

inline constexpr std::uint64_t kMagic = 0x3152565253484331ull;  // "1CHSRVR1" read as little-endian bytes
// 2: ChannelHeader gained max_response_bytes and service_detach_reason (the add-in refuses an answer the
// service would not accept, and says why the service let it go).
// 3: a request envelope carries the authenticated user and scheme (user, auth_scheme after
// remote_address); credential headers are no longer forwarded by default.
// 4: Linux attaches over a unix-domain socket that hands over a sealed memfd (no registry, no channel
// names); on Windows an AttachSlot carries a random token that is part of the channel's name.
inline constexpr std::uint32_t kLayoutVersion = 4;

inline constexpr std::uint32_t kMaxRoutes = 32;
inline constexpr std::uint32_t kMaxSlotsPerRoute = 64;
inline constexpr std::size_t kRouteNameBytes = 48;  ///< including the terminating zero
inline constexpr std::size_t kCacheLine = 64;

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the rings need lock-free 64-bit atomics");

enum class SegmentKind : std::uint32_t { registry = 1, channel = 2 };

/// @brief The first 32 bytes of every segment, identical in every layout version.
struct alignas(8) SegmentPrefix {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t kind;                ///< SegmentKind
  std::uint64_t total_bytes;         ///< the size the creator mapped
  std::atomic<std::uint32_t> ready;  ///< set to 1 (release) once the creator has initialised everything
  std::uint32_t reserved;
};
static_assert(sizeof(SegmentPrefix) == 32);

/// @brief Where an add-in of another layout version leaves word that it was refused, so the service can
/// log it. Stable across versions (it follows SegmentPrefix in the registry).
struct VersionMismatchReport {
  std::atomic<std::uint32_t> count;
  std::uint32_t addin_layout_version;
  std::uint32_t addin_pid;
  std::uint32_t reserved[5];
};
static_assert(sizeof(VersionMismatchReport) == 32);

/// @brief Who a process is: pid plus an OS start stamp, so a reused pid is not mistaken for the original
/// (Linux: start time in clock ticks since boot; Windows: creation FILETIME).
struct alignas(8) ProcessStamp {
  std::uint32_t pid;
  std::uint32_t reserved;
  std::uint64_t start_time;
};
static_assert(sizeof(ProcessStamp) == 16);

/// @brief A kernel-blocking wake-up word: waiters sleep on `sequence` (a futex on Linux) and only a ring
/// that finds `waiters` non-zero pays for a system call.
struct alignas(kCacheLine) DoorbellWord {
  std::atomic<std::uint32_t> sequence;
  std::atomic<std::uint32_t> waiters;
  std::byte padding[kCacheLine - 8];
};
static_assert(sizeof(DoorbellWord) == kCacheLine);

/// Attach slot states. An add-in moves free -> claiming -> claimed; the service moves claimed -> ready or
/// refused, and back to free when the add-in has gone.
enum class SlotState : std::uint32_t { free = 0, claiming = 1, claimed = 2, ready = 3, refused = 4 };

enum class RefusalReason : std::uint32_t {
  none = 0,
  channel_failed = 1,  ///< the service could not create the channel segment
  service_stopping = 2,
};

/// Attach flags an add-in announces in its slot.
inline constexpr std::uint32_t kAttachPullMode = 1;

/// @brief 128 random bits from the OS's generator: part of a channel's name on Windows, so it cannot be
/// guessed (and the object created first) by anyone who has not read the registry.
struct ChannelToken {
  std::uint64_t words[2];
};
static_assert(sizeof(ChannelToken) == 16);

/// @brief One attach slot of a route: 64 bytes.
struct alignas(8) AttachSlot {
  std::atomic<std::uint32_t> state;  ///< SlotState
  std::uint32_t generation;          ///< bumped by the service on each ready; part of the channel name
  ProcessStamp addin;                ///< written by the add-in while claiming
  std::uint32_t addin_flags;         ///< kAttachPullMode, ...
  std::uint32_t refusal;             ///< RefusalReason when refused
  std::uint64_t claim_token;         ///< random per claim, so an add-in recognises its own slot
  ChannelToken token;                ///< written by the service with `ready`: part of the channel's name
  std::byte reserved[8];
};
static_assert(sizeof(AttachSlot) == 64);

/// @brief One route as add-ins see it: how to find it (name, port) and its attach slots.
struct alignas(8) RouteEntry {
  char name[kRouteNameBytes];
  std::uint16_t port;
  std::uint8_t mode;  ///< hserver::RouteMode
  std::uint8_t reserved0;
  std::uint32_t slot_count;
  std::byte reserved[8];
  AttachSlot slots[kMaxSlotsPerRoute];
};
static_assert(sizeof(RouteEntry) == 64 + 64 * kMaxSlotsPerRoute);

/// @brief The registry (Windows): the one well-known segment `<prefix>.registry`, created by the service at
/// start. Linux has none: add-ins attach over the service's attach socket (shm/attach.hpp).
struct alignas(kCacheLine) RegistryHeader {
  SegmentPrefix prefix;
  VersionMismatchReport mismatch;
  ProcessStamp service;
  std::uint32_t route_count;
  std::uint32_t ring_bytes;  ///< capacity of each ring of a channel
  std::byte reserved0[kCacheLine - 16 - 8];
  DoorbellWord attach_bell;  ///< rung by an add-in after claiming a slot; the service waits on it
  DoorbellWord slot_bell;    ///< rung by the service after answering a claim; add-ins wait on it
  RouteEntry routes[kMaxRoutes];
};
static_assert(offsetof(RegistryHeader, mismatch) == 32, "the mismatch report must stay at a fixed offset");

/// @brief A single-producer/single-consumer byte ring. Positions are monotonic byte counts; the producer
/// owns write_position, the consumer read_position; each on its own cache line.
struct RingControl {
  alignas(kCacheLine) std::atomic<std::uint64_t> write_position;
  alignas(kCacheLine) std::atomic<std::uint64_t> read_position;
  alignas(kCacheLine) std::uint64_t capacity;  ///< a power of two
  std::uint64_t data_offset;                   ///< from the start of the segment
};

/// Channel states each side announces.
enum class EndState : std::uint32_t { opening = 0, attached = 1, detached = 2 };

/// Why the service detached a channel (ChannelHeader::service_detach_reason), so that the add-in tells 1C
/// the real cause instead of "the service has stopped".
enum class DetachReason : std::uint32_t {
  unspecified = 0,
  service_stopping = 1,    ///< the service is stopping (or restarting)
  protocol_error = 2,      ///< the add-in's frames broke the protocol
  no_heartbeat = 3,        ///< the add-in's heartbeat stopped (its process hung or was suspended)
  response_too_large = 4,  ///< an answer larger than max_response_bytes arrived
};

/// @brief One channel per attached add-in: an unnamed sealed memfd on Linux, a section
/// `<prefix>.ch.<service pid>.<route>.<slot>.<generation>.<token>` on Windows.
/// The request ring carries service -> add-in, the response ring add-in -> service.
struct alignas(kCacheLine) ChannelHeader {
  SegmentPrefix prefix;
  ProcessStamp service;
  ProcessStamp addin;
  std::atomic<std::uint32_t> service_state;         ///< EndState
  std::atomic<std::uint32_t> addin_state;           ///< EndState
  std::atomic<std::uint64_t> service_heartbeat_ms;  ///< steady clock (system-wide on Linux and Windows)
  std::atomic<std::uint64_t> addin_heartbeat_ms;
  std::uint32_t route_index;
  std::uint32_t slot_index;
  std::uint32_t generation;
  std::uint32_t reserved;
  /// The largest encoded response message the service accepts (its http.body_limit + 1 MiB); written by
  /// the service before the slot is answered `ready`, read by the add-in to refuse a larger answer itself.
  std::uint64_t max_response_bytes;
  std::atomic<std::uint32_t> service_detach_reason;  ///< DetachReason, stored before service_state = detached
  std::uint32_t reserved1;
  DoorbellWord service_bell;  ///< the service's channel thread waits here; the add-in rings it
  DoorbellWord addin_bell;    ///< the add-in's channel thread waits here; the service rings it
  RingControl request_ring;
  RingControl response_ring;
};

/// @brief Every frame in a ring starts with this header; frames are padded to 8 bytes.
struct alignas(8) FrameHeader {
  std::uint32_t payload_bytes;
  std::uint16_t type;   ///< MessageType
  std::uint16_t flags;  ///< kFrameFirst / kFrameLast
  std::uint64_t message_id;
};
static_assert(sizeof(FrameHeader) == 16);

inline constexpr std::uint16_t kFrameFirst = 1;
inline constexpr std::uint16_t kFrameLast = 2;
inline constexpr std::size_t kFrameAlignment = 8;

enum class MessageType : std::uint16_t {
  request = 1,   ///< service -> add-in: an encoded RequestEnvelope
  response = 2,  ///< add-in -> service: an encoded ResponseEnvelope
  cancel = 3,    ///< service -> add-in: the request passed its deadline; drop it if not yet delivered
  taken = 4,     ///< add-in -> service: the request was handed to 1C (so a crash now cannot re-dispatch it)
};

inline constexpr bool is_known_message_type(std::uint16_t type) noexcept {
  return type >= 1 && type <= 4;
}

/// @brief Bytes a channel segment needs for two rings of `ring_bytes` each.
inline constexpr std::uint64_t channel_segment_bytes(std::uint32_t ring_bytes) noexcept {
  return sizeof(ChannelHeader) + 2ull * ring_bytes;
}

}  // namespace hserver::shm
