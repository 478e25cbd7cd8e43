#pragma once
/// @brief The checked-in byte layout of every shared-memory struct (and of 1C's tVariant per platform),
/// as numbers. Each build (Linux x64, Windows x64, Windows x86, MSVC) compiles layout checks against this
/// one table (common/src/layout_check.cpp, addin/native/src/variant_layout_check.cpp), so a struct
/// that drifts on any platform, in particular the 32-bit Windows add-in that cannot run here, fails that
/// build. Changing a row is a protocol change: bump shm::kLayoutVersion.

#include <cstddef>
#include <string_view>

namespace hserver::shm::layout_table {

/// @brief One row: a whole type (field empty: size and alignment) or one field (offset and size).
struct Row {
  std::string_view type;
  std::string_view field;
  std::size_t offset;
  std::size_t size;
  std::size_t align;  ///< whole-type rows only
};

/// @brief Shared-memory structs: identical on every platform, by design.
inline constexpr Row kShared[] = {
    {"SegmentPrefix", "", 0, 32, 8},
    {"SegmentPrefix", "magic", 0, 8, 0},
    {"SegmentPrefix", "layout_version", 8, 4, 0},
    {"SegmentPrefix", "kind", 12, 4, 0},
    {"SegmentPrefix", "total_bytes", 16, 8, 0},
    {"SegmentPrefix", "ready", 24, 4, 0},
    {"SegmentPrefix", "reserved", 28, 4, 0},
    {"VersionMismatchReport", "", 0, 32, 4},
    {"VersionMismatchReport", "count", 0, 4, 0},
    {"VersionMismatchReport", "addin_layout_version", 4, 4, 0},
    {"VersionMismatchReport", "addin_pid", 8, 4, 0},
    {"VersionMismatchReport", "reserved", 12, 20, 0},
    {"ProcessStamp", "", 0, 16, 8},
    {"ProcessStamp", "pid", 0, 4, 0},
    {"ProcessStamp", "reserved", 4, 4, 0},
    {"ProcessStamp", "start_time", 8, 8, 0},
    {"DoorbellWord", "", 0, 64, 64},
    {"DoorbellWord", "sequence", 0, 4, 0},
    {"DoorbellWord", "waiters", 4, 4, 0},
    {"DoorbellWord", "padding", 8, 56, 0},
    {"AttachSlot", "", 0, 64, 8},
    {"AttachSlot", "state", 0, 4, 0},
    {"AttachSlot", "generation", 4, 4, 0},
    {"AttachSlot", "addin", 8, 16, 0},
    {"AttachSlot", "addin_flags", 24, 4, 0},
    {"AttachSlot", "refusal", 28, 4, 0},
    {"AttachSlot", "claim_token", 32, 8, 0},
    {"AttachSlot", "token", 40, 16, 0},
    {"AttachSlot", "reserved", 56, 8, 0},
    {"RouteEntry", "", 0, 4160, 8},
    {"RouteEntry", "name", 0, 48, 0},
    {"RouteEntry", "port", 48, 2, 0},
    {"RouteEntry", "mode", 50, 1, 0},
    {"RouteEntry", "reserved0", 51, 1, 0},
    {"RouteEntry", "slot_count", 52, 4, 0},
    {"RouteEntry", "reserved", 56, 8, 0},
    {"RouteEntry", "slots", 64, 4096, 0},
    {"RegistryHeader", "", 0, 133376, 64},
    {"RegistryHeader", "prefix", 0, 32, 0},
    {"RegistryHeader", "mismatch", 32, 32, 0},
    {"RegistryHeader", "service", 64, 16, 0},
    {"RegistryHeader", "route_count", 80, 4, 0},
    {"RegistryHeader", "ring_bytes", 84, 4, 0},
    {"RegistryHeader", "reserved0", 88, 40, 0},
    {"RegistryHeader", "attach_bell", 128, 64, 0},
    {"RegistryHeader", "slot_bell", 192, 64, 0},
    {"RegistryHeader", "routes", 256, 133120, 0},
    {"RingControl", "", 0, 192, 64},
    {"RingControl", "write_position", 0, 8, 0},
    {"RingControl", "read_position", 64, 8, 0},
    {"RingControl", "capacity", 128, 8, 0},
    {"RingControl", "data_offset", 136, 8, 0},
    {"ChannelHeader", "", 0, 640, 64},
    {"ChannelHeader", "prefix", 0, 32, 0},
    {"ChannelHeader", "service", 32, 16, 0},
    {"ChannelHeader", "addin", 48, 16, 0},
    {"ChannelHeader", "service_state", 64, 4, 0},
    {"ChannelHeader", "addin_state", 68, 4, 0},
    {"ChannelHeader", "service_heartbeat_ms", 72, 8, 0},
    {"ChannelHeader", "addin_heartbeat_ms", 80, 8, 0},
    {"ChannelHeader", "route_index", 88, 4, 0},
    {"ChannelHeader", "slot_index", 92, 4, 0},
    {"ChannelHeader", "generation", 96, 4, 0},
    {"ChannelHeader", "reserved", 100, 4, 0},
    {"ChannelHeader", "max_response_bytes", 104, 8, 0},
    {"ChannelHeader", "service_detach_reason", 112, 4, 0},
    {"ChannelHeader", "reserved1", 116, 4, 0},
    {"ChannelHeader", "service_bell", 128, 64, 0},
    {"ChannelHeader", "addin_bell", 192, 64, 0},
    {"ChannelHeader", "request_ring", 256, 192, 0},
    {"ChannelHeader", "response_ring", 448, 192, 0},
    {"FrameHeader", "", 0, 16, 8},
    {"FrameHeader", "payload_bytes", 0, 4, 0},
    {"FrameHeader", "type", 4, 2, 0},
    {"FrameHeader", "flags", 6, 2, 0},
    {"FrameHeader", "message_id", 8, 8, 0},
};

/// @brief tVariant as 1C lays it out (shared spec abi-1c.md): size, cbElements, vt, and where the string
/// length sits (strLen/wstrLen after the pointer).
struct VariantRow {
  std::string_view platform;  ///< "windows-x64", "windows-x86", "linux-x64", "linux-x86"
  std::size_t size;
  std::size_t cb_elements;
  std::size_t vt;
  std::size_t str_len;
};

inline constexpr VariantRow kVariant[] = {
    {"windows-x64", 48, 40, 44, 8},
    {"windows-x86", 48, 40, 44, 4},
    {"linux-x64", 64, 56, 60, 8},
    {"linux-x86", 52, 44, 48, 4},
};

/// @brief The row of `type`/`field` (field "" for the whole type); a missing row stops compilation.
consteval const Row& find(std::string_view type, std::string_view field) {
  for (const Row& row : kShared) {
    if (row.type == type && row.field == field) return row;
  }
  throw "no such row in layout_table.hpp";  // not a constant expression: a compile error
}

/// @brief The tVariant row of `platform`.
consteval const VariantRow& find_variant(std::string_view platform) {
  for (const VariantRow& row : kVariant) {
    if (row.platform == platform) return row;
  }
  throw "no such platform in layout_table.hpp";
}

/// @brief The platform name of this build, as kVariant spells it.
consteval std::string_view this_platform() {
#if defined(_WIN64)
  return "windows-x64";
#elif defined(_WIN32)
  return "windows-x86";
#elif defined(__x86_64__) || defined(__aarch64__)
  return "linux-x64";
#else
  return "linux-x86";
#endif
}

}  // namespace hserver::shm::layout_table
