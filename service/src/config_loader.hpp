#pragma once
/// @brief Loading the service configuration: the JSON file, command-line overrides, validation.
/// Pure functions (no logging, no global state); every error is one line that names the key or option.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief Command-line options that override the file. Empty optionals leave the file's value.
struct ConfigOverrides {
  std::optional<std::string> listen;  ///< "address:port" of the single route
  std::optional<std::string> mode;    ///< "legacy" | "http" of the single route
  std::optional<std::string> shm_prefix;
  std::optional<std::string> shm_posix_group;    ///< --shm-group
  std::optional<std::string> shm_windows_users;  ///< --shm-windows-users
  std::optional<std::string> log_level;
  std::optional<std::string> log_file;
  std::optional<std::string> log_system;
  std::optional<unsigned> threads;
  std::optional<std::uint64_t> memory_budget_bytes;
  std::optional<std::uint64_t> request_timeout_ms;  ///< applies to every route
  std::optional<std::uint64_t> no_worker_wait_ms;   ///< applies to every route
  std::optional<std::uint64_t> stop_grace_ms;
  std::optional<std::uint64_t> worker_liveness_ms;
  std::optional<std::string> metrics_listen;  ///< "" disables the listener
  std::optional<std::string> admin_socket;
  std::optional<std::string> attach_socket;     ///< --attach-socket
  std::optional<std::string> paused_behaviour;  ///< applies to every route
};

/// @brief A parsed "127.0.0.1:3188" or "[::1]:3188".
struct ListenAddress {
  std::string address;  ///< without brackets
  std::uint16_t port = 0;
};

/// @brief Parses "ipv4:port" or "[ipv6]:port"; the address must be an IP literal, the port 0..65535
/// (validate_config() then refuses 0).
Expected<ListenAddress, std::string> parse_listen_address(std::string_view text);

/// @brief "legacy" or "http".
Expected<RouteMode, std::string> parse_route_mode(std::string_view text);
/// @brief "hold" or "reject".
Expected<PausedBehaviour, std::string> parse_paused_behaviour(std::string_view text);

/// @brief Reads a JSON config (comments and trailing commas allowed) over the defaults of ServiceConfig.
/// Unknown keys, wrong types and out-of-range numbers are errors naming the key ("routes[1].mode: ...").
/// Does not validate cross-field rules: see validate_config().
Expected<ServiceConfig, std::string> parse_config_json(std::string_view text);

/// @brief Applies command-line overrides. --listen and --mode need exactly one route.
Status<std::string> apply_overrides(ServiceConfig& config, const ConfigOverrides& overrides);

/// @brief Checks what the types cannot: unique route names and ports, ports 1..65535, valid modes and
/// addresses, ring_bytes a power of two >= 64 KiB, positive limits and timeouts, known log level, a
/// plausible POSIX group name and Windows account name or SID (whether they exist is checked when the
/// shared memory is created).
Status<std::string> validate_config(const ServiceConfig& config);

/// @brief The whole sequence main runs: defaults, then the file at `path` (none when empty), then the
/// overrides, then validation. File errors are prefixed with the path.
Expected<ServiceConfig, std::string> load_config(const std::string& path, const ConfigOverrides& overrides);

}  // namespace hserver::service
