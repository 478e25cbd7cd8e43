#pragma once
/// @brief The service configuration: what the config file and the command line can set.
/// Loading and validation live in config.cpp; everything else reads these plain structs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hserver/common/envelope.hpp"
#include "security/access.hpp"

namespace hserver::service {

using std::chrono::milliseconds;

/// @brief What a paused route does with new requests.
enum class PausedBehaviour {
  hold,    ///< keep them queued (up to hold_time) and serve them on resume: clients see a delay
  reject,  ///< answer 503 with Retry-After at once
};

/// @brief Limits of HTTP connections and requests: the top-level "http" object, which a route's own
/// "http" object may override key by key. Routes sharing an address and port share their connections,
/// so they must agree on every limit but body_limit (checked at load).
struct HttpLimits {
  std::size_t header_limit = 64 * 1024;  ///< request line + headers: 431 beyond it (legacy code travels in the path)
  std::uint64_t body_limit = 64ull * 1024 * 1024;  ///< request body: 413 beyond it
  milliseconds read_timeout{30'000};               ///< to read one whole request once it has begun: 408 after it
  milliseconds write_timeout{30'000};              ///< to write one response
  milliseconds idle_timeout{60'000};               ///< keep-alive connection with no request
  std::size_t max_pipelined = 16;                  ///< requests read ahead on one connection
  std::size_t max_connections = 1024;              ///< open at once on the listener: 503 and close beyond it
  std::size_t max_requests_per_connection = 0;     ///< then the answer says Connection: close; 0: no limit

  /// Everything but body_limit, which is checked after the route is known.
  bool same_connection_limits(const HttpLimits& other) const noexcept {
    return header_limit == other.header_limit && read_timeout == other.read_timeout &&
           write_timeout == other.write_timeout && idle_timeout == other.idle_timeout &&
           max_pipelined == other.max_pipelined && max_connections == other.max_connections &&
           max_requests_per_connection == other.max_requests_per_connection;
  }
};

/// @brief TLS of a listener (Linux builds with OpenSSL): PEM files; empty: plain HTTP.
struct TlsConfig {
  std::string certificate;  ///< the certificate chain, leaf first
  std::string private_key;
  bool enabled() const noexcept { return !certificate.empty(); }
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

/// @brief One route: an address, port and path prefix the service serves, and the add-ins that serve it.
struct RouteConfig {
  std::string name = "default";  ///< unique; add-ins attach by this name, or by port
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 3188;
  /// Path prefix on that port: "/" takes every path; "/api" takes /api, /api/... and /api?...; several
  /// routes may share an address and port with different prefixes, the longest matching one wins.
  std::string path_prefix = "/";
  /// http by default: a legacy route runs any 1C code it is sent, so it exists only when asked for.
  RouteMode mode = RouteMode::http;
  milliseconds request_timeout{30'000};  ///< deadline from arrival to answer: 504 after it
  milliseconds no_worker_wait{2'000};    ///< how long a request waits for a first add-in: 503 after it
  std::size_t queue_limit = 1024;        ///< requests waiting for an add-in: 503 beyond it
  std::uint32_t worker_in_flight = 1;    ///< requests handed to one add-in at once (1C handles events one by one)
  PausedBehaviour while_paused = PausedBehaviour::hold;
  milliseconds hold_time{300'000};       ///< while paused, how long a request may be held: 503 after it
  std::chrono::seconds retry_after{10};  ///< Retry-After of a 503 given while paused (reject) or held too long
  HttpLimits http;                       ///< the top-level "http" limits with the route's own overrides
  AccessConfig access;                   ///< allow-list and authentication
  /// Pass Authorization, Proxy-Authorization and Cookie on to 1C (off: 1C gets the user name only).
  bool forward_credentials = false;
  TlsConfig tls;  ///< must be the same for routes sharing an address and port
};

struct ServiceConfig {
  std::vector<RouteConfig> routes{RouteConfig{}};
  HttpLimits http;
  CredentialCheckConfig credential_checks;  ///< "authentication": how credentials are verified and throttled
  std::string shm_prefix = "1chserver";     ///< names of shared-memory objects start with it
  std::string shm_posix_group;    ///< POSIX: group of the shared-memory objects (1C's users); empty: the service's
  std::string shm_windows_users;  ///< Windows: account or group of 1C's users allowed to attach
  std::uint32_t ring_bytes = 1u << 20;       ///< capacity of each ring of a channel (power of two)
  std::uint32_t max_workers_per_route = 16;  ///< attach slots per route
  unsigned threads = 2;                      ///< I/O threads
  /// Bytes held in requests and answers at once, by the whole service: 503 + Retry-After beyond it.
  /// 256 MiB fits a small VM and still holds four bodies of the default body_limit at once.
  std::uint64_t memory_budget_bytes = 256ull * 1024 * 1024;
  milliseconds stop_grace{5'000};  ///< on SIGTERM: time to finish requests in hand
  /// An attached add-in whose heartbeat (every 100 ms, from its own thread: a busy 1C still beats) is
  /// older than this is taken for dead: what it had not taken goes to another add-in, what it was
  /// running is answered 502. A process that has ended is noticed at once (within 100 ms) regardless.
  milliseconds worker_liveness{1'000};
  std::string log_level = "info";                          ///< trace, debug, info, warn, error
  std::string log_file;                                    ///< empty: log to the console only
  std::uint64_t log_file_max_bytes = 10ull * 1024 * 1024;  ///< the file is rotated when it would grow beyond
  std::uint32_t log_file_count = 5;  ///< rotated files kept besides the current one (<file>.1 ... <file>.N)
  /// The system log besides the file: "none", "syslog" (Linux: facility daemon, ident 1chserver) or
  /// "journald" (Linux, with priorities and fields). With either, the console gets only what a terminal
  /// would show: nothing when stderr is not a terminal (under systemd it would be logged twice).
  std::string log_system = "none";
  /// Admin channel (1chserverctl). Empty: the default path (admin_socket_path() in admin/admin_path.hpp).
  std::string admin_socket;
  /// Linux: the unix socket add-ins attach through (in a folder only the service's user or root may write).
  /// Empty: /run/1chserver/<shm_prefix>.attach (the add-in's default too; HSERVER_ATTACH_SOCKET overrides
  /// it on the add-in's side). Unused on Windows, where add-ins attach through the registry section.
  std::string attach_socket;
  /// Health and Prometheus metrics listener, "address:port"; empty disables it. Local by default.
  std::string metrics_listen = "127.0.0.1:9188";
  /// Who may read it ("metrics_auth", "metrics_allow"): needed when metrics_listen is beyond loopback.
  AccessConfig metrics_access;
};

}  // namespace hserver::service
