#pragma once
/// @brief How an add-in gets its channel, and the words both sides agree on for it.
///
/// Linux: the service listens on a unix-domain stream socket (the attach socket) in a folder only it may
/// write. An add-in connects and sends an AttachHello; the service checks the peer's credentials
/// (SO_PEERCRED), finds the route and a free slot, creates the channel as a sealed memfd and answers an
/// AttachReply with the descriptor (SCM_RIGHTS) and the ring size. Nothing is named, so nothing can be
/// planted, guessed or shrunk. The connection stays open while the add-in is attached: the service closes
/// it when it lets the add-in go. Windows: through the registry section (registry.hpp).
///
/// attach() is implemented once per OS (common/platform/<os>/attach.cpp); the route lookup and the texts
/// 1C sees are shared (common/src/attach.cpp). See docs/shared-memory-protocol.md.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hserver/common/envelope.hpp"
#include "hserver/common/expected.hpp"
#include "hserver/common/shm/layout.hpp"

namespace hserver::shm {

class Channel;

/// @brief True for a prefix or route name usable in object names on every OS: [A-Za-z0-9_-], 1..47 chars
/// (a prefix may also hold '.').
bool is_valid_object_word(const std::string& word, bool allow_dot = false);

/// @brief The default prefix, or the HSERVER_SHM_PREFIX environment variable when set (used by tests and
/// by side-by-side installations).
std::string default_prefix();

/// @brief Where an add-in looks for the attach socket of the service with `prefix`: the
/// HSERVER_ATTACH_SOCKET environment variable when set, else /run/1chserver/<prefix>.attach (POSIX).
std::string default_attach_socket(const std::string& prefix);

struct RouteInfo {
  std::string name;
  std::uint16_t port = 0;
  RouteMode mode = RouteMode::legacy;
  std::uint32_t slot_count = 0;
};

/// @brief The index of the route an add-in asks for, by port (when given) or by name; the error is the text
/// 1C sees: an unknown route lists what the service serves, a port with several routes asks for a name.
Expected<std::uint32_t, std::string> find_route(const std::vector<RouteInfo>& routes, std::optional<std::uint16_t> port,
                                                const std::string& name);

/// Texts 1C sees, the same whichever way the add-in attaches.
std::string service_not_running_text(const std::string& detail);
std::string access_denied_text(const std::string& detail);
std::string version_mismatch_text(std::uint32_t service_layout);
std::string slots_taken_text(const std::string& route, std::uint32_t slots);
std::string service_stopping_text();

// ---- the attach socket's messages (little-endian, fixed width) ---------------------------------------------
// Both begin with {magic, layout_version, bytes}, which never changes between versions: a peer of another
// layout version is recognised and answered (version_mismatch) instead of misread.

struct alignas(8) AttachHello {
  std::uint64_t magic;           ///< kMagic
  std::uint32_t layout_version;  ///< the add-in's kLayoutVersion
  std::uint32_t bytes;           ///< sizeof(AttachHello) of the add-in's version
  std::uint32_t flags;           ///< kAttachPullMode, ...
  std::uint16_t port;            ///< the route's port when by_port
  std::uint8_t by_port;          ///< 1: find the route by port, 0: by route_name
  std::uint8_t reserved;
  char route_name[kRouteNameBytes];  ///< zero-terminated when !by_port
};
static_assert(sizeof(AttachHello) == 72);

enum class AttachStatus : std::uint32_t {
  attached = 0,          ///< a descriptor comes with the reply
  refused = 1,           ///< text_bytes of text follow: the reason, as 1C should see it
  version_mismatch = 2,  ///< layout_version is the service's
};

struct alignas(8) AttachReply {
  std::uint64_t magic;
  std::uint32_t layout_version;  ///< the service's kLayoutVersion
  std::uint32_t bytes;           ///< sizeof(AttachReply) of the service's version
  std::uint32_t status;          ///< AttachStatus
  std::uint32_t ring_bytes;      ///< capacity of each ring: the add-in builds its views from this alone
  std::uint64_t segment_bytes;   ///< channel_segment_bytes(ring_bytes): the descriptor's size must match
  std::uint32_t route_index;
  std::uint32_t slot_index;
  std::uint32_t generation;
  std::uint16_t port;
  std::uint8_t mode;  ///< RouteMode
  std::uint8_t reserved;
  char route_name[kRouteNameBytes];
  std::uint32_t slot_count;
  std::uint32_t text_bytes;  ///< refusal text following the reply (at most kMaxAttachText)
};
static_assert(sizeof(AttachReply) == 104);

inline constexpr std::uint32_t kMaxAttachText = 4096;

/// @brief An add-in's attachment: its channel, who the service is (from the OS, not from what the service
/// wrote), the route, and (POSIX) the connection held open while attached.
struct Attachment {
  std::unique_ptr<Channel> channel;
  ProcessStamp service{};
  RouteInfo route;
  int connection = -1;          ///< POSIX: the attach connection (valid while `lease` is held); -1 on Windows
  std::shared_ptr<void> lease;  ///< closes the connection when the last copy goes
};

/// @brief Attach to the route served on `port` (or named `name`) of the service of default_prefix(),
/// waiting up to `timeout` for its answer. Errors are phrased for a 1C user.
Expected<Attachment, std::string> attach(std::optional<std::uint16_t> port, const std::string& name,
                                         std::uint32_t flags, std::chrono::milliseconds timeout);

}  // namespace hserver::shm
