// Compile-time check of the shared-memory layout against the checked-in table (layout_table.hpp). Built
// into hserver_common, so every build of every platform (Linux, MinGW x64 and x86, MSVC) verifies that
// its compiler lays the structs out exactly as the table says; the x86 Windows build, which cannot run
// here, is checked this way. Nothing here runs.
#include <cstddef>
#include <iterator>

#include "hserver/common/shm/layout.hpp"
#include "hserver/common/shm/layout_table.hpp"

namespace hserver::shm {
namespace {

namespace table = layout_table;

// offsetof on structs holding std::atomic: conditionally supported, and supported by GCC, Clang and MSVC
// for these standard-layout types.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
#endif

#define HSERVER_LAYOUT_TYPE(T)                                                                          \
  static_assert(sizeof(T) == table::find(#T, "").size, "size of " #T " differs from layout_table.hpp"); \
  static_assert(alignof(T) == table::find(#T, "").align, "alignment of " #T " differs from layout_table.hpp")
#define HSERVER_LAYOUT_FIELD(T, f)                                                                                \
  static_assert(offsetof(T, f) == table::find(#T, #f).offset, "offset of " #T "::" #f " differs from the table"); \
  static_assert(sizeof(T::f) == table::find(#T, #f).size, "size of " #T "::" #f " differs from the table")

HSERVER_LAYOUT_TYPE(SegmentPrefix);
HSERVER_LAYOUT_FIELD(SegmentPrefix, magic);
HSERVER_LAYOUT_FIELD(SegmentPrefix, layout_version);
HSERVER_LAYOUT_FIELD(SegmentPrefix, kind);
HSERVER_LAYOUT_FIELD(SegmentPrefix, total_bytes);
HSERVER_LAYOUT_FIELD(SegmentPrefix, ready);
HSERVER_LAYOUT_FIELD(SegmentPrefix, reserved);

HSERVER_LAYOUT_TYPE(VersionMismatchReport);
HSERVER_LAYOUT_FIELD(VersionMismatchReport, count);
HSERVER_LAYOUT_FIELD(VersionMismatchReport, addin_layout_version);
HSERVER_LAYOUT_FIELD(VersionMismatchReport, addin_pid);
HSERVER_LAYOUT_FIELD(VersionMismatchReport, reserved);

HSERVER_LAYOUT_TYPE(ProcessStamp);
HSERVER_LAYOUT_FIELD(ProcessStamp, pid);
HSERVER_LAYOUT_FIELD(ProcessStamp, reserved);
HSERVER_LAYOUT_FIELD(ProcessStamp, start_time);

HSERVER_LAYOUT_TYPE(DoorbellWord);
HSERVER_LAYOUT_FIELD(DoorbellWord, sequence);
HSERVER_LAYOUT_FIELD(DoorbellWord, waiters);
HSERVER_LAYOUT_FIELD(DoorbellWord, padding);

HSERVER_LAYOUT_TYPE(AttachSlot);
HSERVER_LAYOUT_FIELD(AttachSlot, state);
HSERVER_LAYOUT_FIELD(AttachSlot, generation);
HSERVER_LAYOUT_FIELD(AttachSlot, addin);
HSERVER_LAYOUT_FIELD(AttachSlot, addin_flags);
HSERVER_LAYOUT_FIELD(AttachSlot, refusal);
HSERVER_LAYOUT_FIELD(AttachSlot, claim_token);
HSERVER_LAYOUT_FIELD(AttachSlot, token);
HSERVER_LAYOUT_FIELD(AttachSlot, reserved);

HSERVER_LAYOUT_TYPE(RouteEntry);
HSERVER_LAYOUT_FIELD(RouteEntry, name);
HSERVER_LAYOUT_FIELD(RouteEntry, port);
HSERVER_LAYOUT_FIELD(RouteEntry, mode);
HSERVER_LAYOUT_FIELD(RouteEntry, reserved0);
HSERVER_LAYOUT_FIELD(RouteEntry, slot_count);
HSERVER_LAYOUT_FIELD(RouteEntry, reserved);
HSERVER_LAYOUT_FIELD(RouteEntry, slots);

HSERVER_LAYOUT_TYPE(RegistryHeader);
HSERVER_LAYOUT_FIELD(RegistryHeader, prefix);
HSERVER_LAYOUT_FIELD(RegistryHeader, mismatch);
HSERVER_LAYOUT_FIELD(RegistryHeader, service);
HSERVER_LAYOUT_FIELD(RegistryHeader, route_count);
HSERVER_LAYOUT_FIELD(RegistryHeader, ring_bytes);
HSERVER_LAYOUT_FIELD(RegistryHeader, reserved0);
HSERVER_LAYOUT_FIELD(RegistryHeader, attach_bell);
HSERVER_LAYOUT_FIELD(RegistryHeader, slot_bell);
HSERVER_LAYOUT_FIELD(RegistryHeader, routes);

HSERVER_LAYOUT_TYPE(RingControl);
HSERVER_LAYOUT_FIELD(RingControl, write_position);
HSERVER_LAYOUT_FIELD(RingControl, read_position);
HSERVER_LAYOUT_FIELD(RingControl, capacity);
HSERVER_LAYOUT_FIELD(RingControl, data_offset);

HSERVER_LAYOUT_TYPE(ChannelHeader);
HSERVER_LAYOUT_FIELD(ChannelHeader, prefix);
HSERVER_LAYOUT_FIELD(ChannelHeader, service);
HSERVER_LAYOUT_FIELD(ChannelHeader, addin);
HSERVER_LAYOUT_FIELD(ChannelHeader, service_state);
HSERVER_LAYOUT_FIELD(ChannelHeader, addin_state);
HSERVER_LAYOUT_FIELD(ChannelHeader, service_heartbeat_ms);
HSERVER_LAYOUT_FIELD(ChannelHeader, addin_heartbeat_ms);
HSERVER_LAYOUT_FIELD(ChannelHeader, route_index);
HSERVER_LAYOUT_FIELD(ChannelHeader, slot_index);
HSERVER_LAYOUT_FIELD(ChannelHeader, generation);
HSERVER_LAYOUT_FIELD(ChannelHeader, reserved);
HSERVER_LAYOUT_FIELD(ChannelHeader, max_response_bytes);
HSERVER_LAYOUT_FIELD(ChannelHeader, service_detach_reason);
HSERVER_LAYOUT_FIELD(ChannelHeader, reserved1);
HSERVER_LAYOUT_FIELD(ChannelHeader, service_bell);
HSERVER_LAYOUT_FIELD(ChannelHeader, addin_bell);
HSERVER_LAYOUT_FIELD(ChannelHeader, request_ring);
HSERVER_LAYOUT_FIELD(ChannelHeader, response_ring);

HSERVER_LAYOUT_TYPE(FrameHeader);
HSERVER_LAYOUT_FIELD(FrameHeader, payload_bytes);
HSERVER_LAYOUT_FIELD(FrameHeader, type);
HSERVER_LAYOUT_FIELD(FrameHeader, flags);
HSERVER_LAYOUT_FIELD(FrameHeader, message_id);

// Every row of the table is checked above (10 types, 65 fields): a row added without a check fails here.
static_assert(std::size(table::kShared) == 76, "layout_table.hpp has rows that layout_check.cpp does not check");

}  // namespace
}  // namespace hserver::shm
