#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>

#include "config_loader.hpp"

namespace hserver::service {
namespace json = boost::json;

namespace {

// Thrown inside this file only, to unwind nested readers; load functions turn it into Unexpected.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(std::string_view key, std::string_view why) {
  throw ConfigError{fmt::format("{}: {}", key, why)};
}

std::string child(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string{key} : fmt::format("{}.{}", parent, key);
}

const json::object& as_object(const json::value& value, std::string_view key) {
  if (!value.is_object()) fail(key.empty() ? "config" : key, "expected an object");
  return value.get_object();
}

// A typo in a key would otherwise be silently ignored and the default used.
void reject_unknown_keys(const json::object& object, std::string_view key,
                         std::initializer_list<std::string_view> known) {
  for (const auto& member : object) {
    if (std::find(known.begin(), known.end(), std::string_view{member.key()}) == known.end()) {
      fail(child(key, member.key()), "unknown key");
    }
  }
}

std::string read_string(const json::value& value, std::string_view key) {
  if (!value.is_string()) fail(key, "expected a string");
  return std::string{value.get_string()};
}

std::uint64_t read_uint(const json::value& value, std::string_view key, std::uint64_t max) {
  std::uint64_t number = 0;
  if (value.is_uint64()) {
    number = value.get_uint64();
  } else if (value.is_int64()) {
    if (value.get_int64() < 0) fail(key, fmt::format("must not be negative, got {}", value.get_int64()));
    number = static_cast<std::uint64_t>(value.get_int64());
  } else {
    fail(key, "expected an integer");
  }
  if (number > max) fail(key, fmt::format("must be at most {}, got {}", max, number));
  return number;
}

template <class T>
void read_into(const json::object& object, std::string_view parent, std::string_view name, T& out) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return;
  const std::string key = child(parent, name);
  if constexpr (std::is_same_v<T, std::string>) {
    out = read_string(*value, key);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!value->is_bool()) fail(key, "expected true or false");
    out = value->get_bool();
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    // A day is far beyond any sensible timeout and keeps arithmetic on time points safe.
    out = std::chrono::milliseconds{static_cast<std::int64_t>(read_uint(*value, key, 86'400'000))};
  } else {
    out = static_cast<T>(read_uint(*value, key, std::numeric_limits<T>::max()));
  }
}

void read_http(const json::value& value, const std::string& key, HttpLimits& http) {
  const json::object& object = as_object(value, key);
  reject_unknown_keys(object, key,
                      {"header_limit", "body_limit", "read_timeout_ms", "write_timeout_ms", "idle_timeout_ms",
                       "max_pipelined", "max_connections", "max_requests_per_connection"});
  read_into(object, key, "header_limit", http.header_limit);
  read_into(object, key, "body_limit", http.body_limit);
  read_into(object, key, "read_timeout_ms", http.read_timeout);
  read_into(object, key, "write_timeout_ms", http.write_timeout);
  read_into(object, key, "idle_timeout_ms", http.idle_timeout);
  read_into(object, key, "max_pipelined", http.max_pipelined);
  read_into(object, key, "max_connections", http.max_connections);
  read_into(object, key, "max_requests_per_connection", http.max_requests_per_connection);
}

// "auth": {"basic": [{"user": "...", "password_hash": "..."}], "bearer": ["sha256$..."], "realm": "..."}
void read_auth(const json::value& value, const std::string& key, AccessConfig& access) {
  const json::object& object = as_object(value, key);
  reject_unknown_keys(object, key, {"basic", "bearer", "realm"});
  read_into(object, key, "realm", access.realm);
  if (const json::value* basic = object.if_contains("basic")) {
    if (!basic->is_array()) fail(child(key, "basic"), "expected an array of {\"user\", \"password_hash\"}");
    const json::array& users = basic->get_array();
    for (std::size_t i = 0; i < users.size(); ++i) {
      const std::string user_key = fmt::format("{}.basic[{}]", key, i);
      const json::object& user = as_object(users[i], user_key);
      reject_unknown_keys(user, user_key, {"user", "password_hash"});
      BasicUser entry;
      read_into(user, user_key, "user", entry.name);
      read_into(user, user_key, "password_hash", entry.secret);
      access.basic.push_back(std::move(entry));
    }
  }
  if (const json::value* bearer = object.if_contains("bearer")) {
    if (!bearer->is_array()) fail(child(key, "bearer"), "expected an array of token hashes");
    const json::array& tokens = bearer->get_array();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      access.bearer.push_back(read_string(tokens[i], fmt::format("{}.bearer[{}]", key, i)));
    }
  }
}

// "allow": ["10.0.0.0/8", "::1"]
void read_allow(const json::value& value, const std::string& key, AccessConfig& access) {
  if (!value.is_array()) fail(key, "expected an array of addresses or blocks");
  const json::array& blocks = value.get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    access.allow.push_back(read_string(blocks[i], fmt::format("{}[{}]", key, i)));
  }
}

// "authentication": {"verify_threads": 1, "verify_queue": 16, "max_failures": 10, "failure_window_s": 60, ...}
void read_authentication(const json::value& value, CredentialCheckConfig& checks) {
  const std::string key = "authentication";
  const json::object& object = as_object(value, key);
  reject_unknown_keys(object, key,
                      {"verify_threads", "verify_queue", "max_failures", "failure_window_s", "tracked_addresses",
                       "cache_ttl_s", "cache_entries"});
  read_into(object, key, "verify_threads", checks.verify_threads);
  read_into(object, key, "verify_queue", checks.verify_queue);
  read_into(object, key, "max_failures", checks.max_failures);
  read_into(object, key, "tracked_addresses", checks.tracked_addresses);
  read_into(object, key, "cache_entries", checks.cache_entries);
  const auto read_seconds = [&](std::string_view name, std::chrono::seconds& out) {
    auto count = static_cast<std::uint32_t>(out.count());
    read_into(object, key, name, count);
    out = std::chrono::seconds{count};
  };
  read_seconds("failure_window_s", checks.failure_window);
  read_seconds("cache_ttl_s", checks.cache_ttl);
}

RouteConfig read_route(const json::value& value, const std::string& key, const HttpLimits& http) {
  const json::object& object = as_object(value, key);
  reject_unknown_keys(object, key,
                      {"name", "listen", "mode", "request_timeout_ms", "no_worker_wait_ms", "queue_limit",
                       "worker_in_flight", "while_paused", "hold_time_ms", "retry_after_s", "path_prefix", "http",
                       "auth", "allow", "insecure_unauthenticated_remote", "tls", "forward_credentials"});
  RouteConfig route;
  route.http = http;
  if (const json::value* limits = object.if_contains("http")) read_http(*limits, child(key, "http"), route.http);
  if (const json::value* auth = object.if_contains("auth")) read_auth(*auth, child(key, "auth"), route.access);
  if (const json::value* allow = object.if_contains("allow")) read_allow(*allow, child(key, "allow"), route.access);
  read_into(object, key, "insecure_unauthenticated_remote", route.access.insecure_unauthenticated_remote);
  read_into(object, key, "forward_credentials", route.forward_credentials);
  if (const json::value* tls = object.if_contains("tls")) {
    const std::string tls_key = child(key, "tls");
    const json::object& tls_object = as_object(*tls, tls_key);
    reject_unknown_keys(tls_object, tls_key, {"certificate", "private_key"});
    read_into(tls_object, tls_key, "certificate", route.tls.certificate);
    read_into(tls_object, tls_key, "private_key", route.tls.private_key);
  }
  read_into(object, key, "name", route.name);
  read_into(object, key, "path_prefix", route.path_prefix);
  // "/api/" and "/api" are one prefix: keep the form the matcher compares with.
  while (route.path_prefix.size() > 1 && route.path_prefix.back() == '/') route.path_prefix.pop_back();
  if (const json::value* listen = object.if_contains("listen")) {
    auto address = parse_listen_address(read_string(*listen, child(key, "listen")));
    if (!address) fail(child(key, "listen"), address.error());
    route.bind_address = address->address;
    route.port = address->port;
  }
  if (const json::value* mode = object.if_contains("mode")) {
    auto parsed = parse_route_mode(read_string(*mode, child(key, "mode")));
    if (!parsed) fail(child(key, "mode"), parsed.error());
    route.mode = *parsed;
  }
  read_into(object, key, "request_timeout_ms", route.request_timeout);
  read_into(object, key, "no_worker_wait_ms", route.no_worker_wait);
  read_into(object, key, "queue_limit", route.queue_limit);
  read_into(object, key, "worker_in_flight", route.worker_in_flight);
  if (const json::value* behaviour = object.if_contains("while_paused")) {
    auto parsed = parse_paused_behaviour(read_string(*behaviour, child(key, "while_paused")));
    if (!parsed) fail(child(key, "while_paused"), parsed.error());
    route.while_paused = *parsed;
  }
  read_into(object, key, "hold_time_ms", route.hold_time);
  std::uint32_t retry_after_s = static_cast<std::uint32_t>(route.retry_after.count());
  read_into(object, key, "retry_after_s", retry_after_s);
  route.retry_after = std::chrono::seconds{retry_after_s};
  return route;
}

void read_log(const json::value& value, ServiceConfig& config) {
  const json::object& object = as_object(value, "log");
  reject_unknown_keys(object, "log", {"level", "file", "file_max_bytes", "file_count", "system"});
  read_into(object, "log", "level", config.log_level);
  read_into(object, "log", "file", config.log_file);
  read_into(object, "log", "file_max_bytes", config.log_file_max_bytes);
  read_into(object, "log", "file_count", config.log_file_count);
  read_into(object, "log", "system", config.log_system);
}

void read_shm(const json::value& value, ServiceConfig& config) {
  const json::object& object = as_object(value, "shm");
  reject_unknown_keys(object, "shm", {"posix_group", "windows_users"});
  read_into(object, "shm", "posix_group", config.shm_posix_group);
  read_into(object, "shm", "windows_users", config.shm_windows_users);
}

ServiceConfig read_config(const json::value& root) {
  const json::object& object = as_object(root, "");
  reject_unknown_keys(object, "",
                      {"shm_prefix", "shm", "threads", "ring_bytes", "max_workers_per_route", "stop_grace_ms",
                       "worker_liveness_ms", "log", "http", "routes", "admin_socket", "attach_socket", "metrics_listen",
                       "metrics_auth", "metrics_allow", "memory_budget_bytes", "authentication"});
  ServiceConfig config;
  read_into(object, "", "shm_prefix", config.shm_prefix);
  read_into(object, "", "threads", config.threads);
  read_into(object, "", "memory_budget_bytes", config.memory_budget_bytes);
  read_into(object, "", "ring_bytes", config.ring_bytes);
  read_into(object, "", "max_workers_per_route", config.max_workers_per_route);
  read_into(object, "", "stop_grace_ms", config.stop_grace);
  read_into(object, "", "worker_liveness_ms", config.worker_liveness);
  read_into(object, "", "admin_socket", config.admin_socket);
  read_into(object, "", "attach_socket", config.attach_socket);
  read_into(object, "", "metrics_listen", config.metrics_listen);
  if (const json::value* auth = object.if_contains("metrics_auth"))
    read_auth(*auth, "metrics_auth", config.metrics_access);
  if (const json::value* allow = object.if_contains("metrics_allow")) {
    read_allow(*allow, "metrics_allow", config.metrics_access);
  }
  if (const json::value* shm = object.if_contains("shm")) read_shm(*shm, config);
  if (const json::value* log = object.if_contains("log")) read_log(*log, config);
  if (const json::value* checks = object.if_contains("authentication")) {
    read_authentication(*checks, config.credential_checks);
  }
  // The top-level limits first: they are every route's defaults.
  if (const json::value* http = object.if_contains("http")) read_http(*http, "http", config.http);
  for (RouteConfig& route : config.routes) route.http = config.http;
  if (const json::value* routes = object.if_contains("routes")) {
    if (!routes->is_array()) fail("routes", "expected an array");
    config.routes.clear();
    const json::array& array = routes->get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      config.routes.push_back(read_route(array[i], fmt::format("routes[{}]", i), config.http));
    }
  }
  return config;
}

std::string position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const auto before = text.substr(0, offset);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const auto line_start = before.rfind('\n');
  const auto column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
  return fmt::format("line {}, column {}", line, column);
}

// Names shared-memory objects and the add-ins' attach requests, so it must be portable as part of a
// POSIX shm name or a Windows kernel object name.
bool is_simple_name(std::string_view name, std::size_t max_length) {
  return !name.empty() && name.size() <= max_length && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

bool is_known_log_level(std::string_view level) {
  static constexpr std::array<std::string_view, 7> kLevels{"trace", "debug",    "info", "warn",
                                                           "error", "critical", "off"};
  return std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end();
}

// The portable POSIX group name (letters, digits, '.', '_', '-', not starting with '-'), with the
// 32-character limit of the shadow tools; anything else would fail later, far from the config.
bool is_posix_group_name(std::string_view name) {
  return is_simple_name(name, 32) && name.front() != '-';
}

// "NAME", "DOMAIN\NAME", "NAME@DOMAIN" or a SID string "S-1-5-..."; the characters Windows forbids in
// account names are refused here so that a typo is reported at start, not when the first add-in attaches.
bool is_windows_account(std::string_view name) {
  constexpr std::string_view kForbidden = "\"/[]:;|=,+*?<>";
  if (name.empty() || name.size() > 256 || name.front() == ' ' || name.back() == ' ') return false;
  const auto separator = name.find('\\');
  if (separator != std::string_view::npos) {
    if (separator == 0 || separator + 1 == name.size()) return false;
    if (name.find('\\', separator + 1) != std::string_view::npos) return false;
  }
  return std::none_of(name.begin(), name.end(), [&](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || kForbidden.find(c) != kForbidden.npos;
  });
}

// A path prefix the matcher can compare byte for byte with raw request targets: unreserved characters
// only (nothing that a client could percent-encode into a second spelling), whole segments, no dot
// segments.
std::optional<std::string> path_prefix_problem(std::string_view prefix) {
  if (prefix.empty() || prefix.front() != '/') return "must start with '/'";
  if (prefix.size() > 200) return "must not be longer than 200 characters";
  const bool characters_ok = std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '/';
  });
  if (!characters_ok) return "may hold only letters, digits, '-', '.', '_', '~' and '/'";
  if (prefix.find("//") != std::string_view::npos) return "must not contain an empty segment ('//')";
  for (std::string_view segment : {std::string_view{"/./"}, std::string_view{"/../"}}) {
    const std::string padded = std::string{prefix} + "/";
    if (padded.find(segment) != std::string::npos) return "must not contain '.' or '..' segments";
  }
  return std::nullopt;
}

void validate_route(const RouteConfig& route, const std::string& key) {
  // The name travels in the registry segment (47 bytes and a zero) and in attach requests.
  if (!is_simple_name(route.name, 47) || route.name.find('.') != std::string::npos) {
    fail(child(key, "name"), fmt::format("\"{}\" must be 1 to 47 letters, digits, '_' or '-'", route.name));
  }
  if (auto problem = path_prefix_problem(route.path_prefix)) {
    fail(child(key, "path_prefix"), fmt::format("\"{}\" {}", route.path_prefix, *problem));
  }
  if (route.port == 0) fail(child(key, "listen"), "port must be between 1 and 65535");
  boost::system::error_code ec;
  boost::asio::ip::make_address(route.bind_address, ec);
  if (ec) fail(child(key, "listen"), fmt::format("\"{}\" is not an IP address", route.bind_address));
  if (route.mode != RouteMode::legacy && route.mode != RouteMode::http) fail(child(key, "mode"), "unknown mode");
  if (route.request_timeout.count() <= 0) fail(child(key, "request_timeout_ms"), "must be at least 1");
  if (route.no_worker_wait.count() < 0) fail(child(key, "no_worker_wait_ms"), "must not be negative");
  if (route.queue_limit == 0) fail(child(key, "queue_limit"), "must be at least 1");
  if (route.worker_in_flight == 0) fail(child(key, "worker_in_flight"), "must be at least 1");
  if (route.hold_time.count() <= 0) fail(child(key, "hold_time_ms"), "must be at least 1");
  if (route.http.max_connections == 0) fail(child(key, "http.max_connections"), "must be at least 1");
  if (route.http.max_pipelined == 0) fail(child(key, "http.max_pipelined"), "must be at least 1");
  if (auto access = RouteAccess::make(route.access); !access) throw ConfigError{child(key, access.error())};
  if (route.tls.certificate.empty() != route.tls.private_key.empty()) {
    fail(child(key, "tls"), "certificate and private_key go together");
  }
  // The original add-in let anyone who reached its port run code in 1C. Beyond loopback a route needs
  // credentials, or an option whose name says what it means.
  boost::system::error_code address_ec;
  const auto address = boost::asio::ip::make_address(route.bind_address, address_ec);
  if (!address_ec && !address.is_loopback() && !route.access.requires_authentication() &&
      !route.access.insecure_unauthenticated_remote) {
    fail(child(key, "listen"),
         fmt::format("{} is reachable beyond this machine and the route has no authentication: add \"auth\" "
                     "(basic or bearer), or set \"insecure_unauthenticated_remote\": true to let anyone who "
                     "reaches it use it",
                     route.bind_address));
  }
}

// The metrics listener tells its reader every route, queue and worker: beyond loopback it needs an
// allow-list or credentials, with no "insecure" way round.
void validate_metrics(const ServiceConfig& config) {
  if (auto access = RouteAccess::make(config.metrics_access); !access) {
    throw ConfigError{fmt::format("metrics_{}", access.error())};
  }
  if (config.metrics_listen.empty()) return;
  const auto listen = parse_listen_address(config.metrics_listen);
  if (!listen) fail("metrics_listen", listen.error());
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(listen->address, ec);
  if (ec) fail("metrics_listen", fmt::format("\"{}\" is not an IP address", listen->address));
  if (!address.is_loopback() && config.metrics_access.allow.empty() &&
      !config.metrics_access.requires_authentication()) {
    fail("metrics_listen", fmt::format("{} is reachable beyond this machine: add \"metrics_allow\" (the addresses of "
                                       "your monitoring) or \"metrics_auth\" (basic or bearer)",
                                       config.metrics_listen));
  }
}

void validate(const ServiceConfig& config) {
  if (config.routes.empty()) fail("routes", "at least one route is needed");
  validate_metrics(config);
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const RouteConfig& route = config.routes[i];
    const std::string key = fmt::format("routes[{}]", i);
    validate_route(route, key);
    for (std::size_t j = 0; j < i; ++j) {
      if (config.routes[j].name == route.name) {
        fail(child(key, "name"), fmt::format("\"{}\" is already the name of routes[{}]", route.name, j));
      }
      // Routes on one address and port share its listener and are told apart by path prefix.
      const RouteConfig& other = config.routes[j];
      if (other.port == route.port && other.bind_address == route.bind_address &&
          other.path_prefix == route.path_prefix) {
        fail(child(key, "path_prefix"), fmt::format("\"{}\" on {}:{} is already served by route '{}'",
                                                    route.path_prefix, route.bind_address, route.port, other.name));
      }
      // One listener, one set of connections: only what is decided per request may differ.
      if (other.port == route.port && other.bind_address == route.bind_address) {
        if (!route.http.same_connection_limits(other.http)) {
          fail(child(key, "http"), fmt::format("routes sharing {}:{} must have the same connection limits (all but "
                                               "body_limit) as route '{}'",
                                               route.bind_address, route.port, other.name));
        }
        if (route.tls != other.tls) {
          fail(child(key, "tls"), fmt::format("routes sharing {}:{} must have the same tls as route '{}'",
                                              route.bind_address, route.port, other.name));
        }
      }
    }
  }
  if (!is_simple_name(config.shm_prefix, 32)) {
    fail("shm_prefix", fmt::format("\"{}\" must be 1 to 32 letters, digits, '_', '-' or '.'", config.shm_prefix));
  }
  if (!config.shm_posix_group.empty() && !is_posix_group_name(config.shm_posix_group)) {
    fail("shm.posix_group",
         fmt::format("\"{}\" is not a group name: 1 to 32 letters, digits, '_', '-' or '.'", config.shm_posix_group));
  }
  if (!config.shm_windows_users.empty() && !is_windows_account(config.shm_windows_users)) {
    fail("shm.windows_users",
         fmt::format("\"{}\" is not an account, group or SID (NAME, DOMAIN\\NAME, S-1-...)", config.shm_windows_users));
  }
  constexpr std::uint32_t kMinRing = 64 * 1024;
  const std::uint32_t ring = config.ring_bytes;
  if (ring < kMinRing || (ring & (ring - 1)) != 0) {
    fail("ring_bytes", fmt::format("must be a power of two of at least {}, got {}", kMinRing, ring));
  }
  if (config.max_workers_per_route == 0) fail("max_workers_per_route", "must be at least 1");
  if (config.threads == 0 || config.threads > 256) fail("threads", "must be between 1 and 256");
  // A request of the largest size a route allows must fit, or that route could never be used.
  for (const RouteConfig& route : config.routes) {
    if (config.memory_budget_bytes < route.http.body_limit) {
      fail("memory_budget_bytes", fmt::format("{} is less than the body_limit of route '{}' ({}): a request of the "
                                              "size it allows would always be refused",
                                              config.memory_budget_bytes, route.name, route.http.body_limit));
    }
  }
  if (config.stop_grace.count() < 0) fail("stop_grace_ms", "must not be negative");
  if (config.log_file_max_bytes < 16 * 1024 || config.log_file_max_bytes > (1ull << 40))
    fail("log.file_max_bytes", "must be 16384 to 1099511627776");
  if (config.log_file_count < 1 || config.log_file_count > 1000) fail("log.file_count", "must be 1 to 1000");
  const CredentialCheckConfig& checks = config.credential_checks;
  // More threads than this only lets a guesser take more cores from 1C.
  if (checks.verify_threads == 0 || checks.verify_threads > 16)
    fail("authentication.verify_threads", "must be 1 to 16");
  if (checks.verify_queue == 0 || checks.verify_queue > 100'000)
    fail("authentication.verify_queue", "must be 1 to 100000");
  if (checks.failure_window.count() < 1 || checks.failure_window.count() > 86'400) {
    fail("authentication.failure_window_s", "must be 1 to 86400");
  }
  if (checks.tracked_addresses == 0 || checks.tracked_addresses > 10'000'000) {
    fail("authentication.tracked_addresses", "must be 1 to 10000000");
  }
  if (checks.cache_ttl.count() > 86'400) fail("authentication.cache_ttl_s", "must be at most 86400 (0: no cache)");
  if (checks.cache_entries > 10'000'000) fail("authentication.cache_entries", "must be at most 10000000");
  // Below a few heartbeats a short stall of the add-in's process (swap, a debugger) would drop it.
  // Heartbeats come every 250 ms: a second is four of them, so a busy machine does not look like a death.
  if (config.worker_liveness.count() < 1000 || config.worker_liveness.count() > 600'000) {
    fail("worker_liveness_ms", "must be between 1000 and 600000");
  }
  if (config.log_system != "none" && config.log_system != "syslog" && config.log_system != "journald") {
    fail("log.system", fmt::format("\"{}\" is not one of none, syslog, journald", config.log_system));
  }
  if (!is_known_log_level(config.log_level)) {
    fail("log.level",
         fmt::format("\"{}\" is not one of trace, debug, info, warn, error, critical, off", config.log_level));
  }
  const HttpLimits& http = config.http;
  // Below this not even an ordinary browser request fits.
  if (http.header_limit < 1024 || http.header_limit > std::numeric_limits<std::uint32_t>::max()) {
    fail("http.header_limit", "must be between 1024 and 4294967295");
  }
  if (http.read_timeout.count() <= 0) fail("http.read_timeout_ms", "must be at least 1");
  if (http.write_timeout.count() <= 0) fail("http.write_timeout_ms", "must be at least 1");
  if (http.idle_timeout.count() <= 0) fail("http.idle_timeout_ms", "must be at least 1");
  if (http.max_pipelined == 0) fail("http.max_pipelined", "must be at least 1");
}

}  // namespace

Expected<ListenAddress, std::string> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Unexpected{fmt::format("\"{}\" is not address:port", text)};
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Unexpected{fmt::format("\"{}\": write an IPv6 address in brackets, as [::1]:3188", text)};
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string{host}, ec);
  if (ec || (address.is_v4() && bracketed)) {
    return Unexpected{fmt::format("\"{}\" is not an IP address", host)};
  }
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return Unexpected{fmt::format("\"{}\" is not a port number", port_text)};
  }
  return ListenAddress{std::string{host}, static_cast<std::uint16_t>(port)};
}

Expected<PausedBehaviour, std::string> parse_paused_behaviour(std::string_view text) {
  if (text == "hold") return PausedBehaviour::hold;
  if (text == "reject") return PausedBehaviour::reject;
  return Unexpected{fmt::format("\"{}\" is not hold or reject", text)};
}

Expected<RouteMode, std::string> parse_route_mode(std::string_view text) {
  if (text == "legacy") return RouteMode::legacy;
  if (text == "http") return RouteMode::http;
  return Unexpected{fmt::format("expected \"legacy\" or \"http\", got \"{}\"", text)};
}

Expected<ServiceConfig, std::string> parse_config_json(std::string_view text) {
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  json::stream_parser parser{json::storage_ptr{}, options};
  boost::system::error_code ec;
  const std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return Unexpected{fmt::format("{}: invalid JSON: {}", position_of(text, consumed), ec.message())};
  }
  try {
    return read_config(parser.release());
  } catch (const ConfigError& error) {
    return Unexpected{error.message};
  }
}

Status<std::string> apply_overrides(ServiceConfig& config, const ConfigOverrides& overrides) {
  if (overrides.listen || overrides.mode) {
    if (config.routes.size() != 1) {
      return Unexpected{fmt::format("--listen and --mode apply to a single route, but the config has {} routes",
                                    config.routes.size())};
    }
    RouteConfig& route = config.routes.front();
    if (overrides.listen) {
      auto address = parse_listen_address(*overrides.listen);
      if (!address) return Unexpected{fmt::format("--listen: {}", address.error())};
      route.bind_address = address->address;
      route.port = address->port;
    }
    if (overrides.mode) {
      auto mode = parse_route_mode(*overrides.mode);
      if (!mode) return Unexpected{fmt::format("--mode: {}", mode.error())};
      route.mode = *mode;
    }
  }
  if (overrides.shm_prefix) config.shm_prefix = *overrides.shm_prefix;
  if (overrides.shm_posix_group) config.shm_posix_group = *overrides.shm_posix_group;
  if (overrides.shm_windows_users) config.shm_windows_users = *overrides.shm_windows_users;
  if (overrides.log_level) config.log_level = *overrides.log_level;
  if (overrides.log_file) config.log_file = *overrides.log_file;
  if (overrides.log_system) config.log_system = *overrides.log_system;
  if (overrides.threads) config.threads = *overrides.threads;
  if (overrides.memory_budget_bytes) config.memory_budget_bytes = *overrides.memory_budget_bytes;
  constexpr std::uint64_t kMaxMs = 86'400'000;
  if (overrides.request_timeout_ms) {
    if (*overrides.request_timeout_ms > kMaxMs) return Unexpected{std::string{"--request-timeout-ms: at most a day"}};
    for (auto& route : config.routes) {
      route.request_timeout = std::chrono::milliseconds{static_cast<std::int64_t>(*overrides.request_timeout_ms)};
    }
  }
  if (overrides.no_worker_wait_ms) {
    if (*overrides.no_worker_wait_ms > kMaxMs) return Unexpected{std::string{"--no-worker-wait-ms: at most a day"}};
    for (auto& route : config.routes) {
      route.no_worker_wait = std::chrono::milliseconds{static_cast<std::int64_t>(*overrides.no_worker_wait_ms)};
    }
  }
  if (overrides.metrics_listen) config.metrics_listen = *overrides.metrics_listen;
  if (overrides.admin_socket) config.admin_socket = *overrides.admin_socket;
  if (overrides.attach_socket) config.attach_socket = *overrides.attach_socket;
  if (overrides.paused_behaviour) {
    auto parsed = parse_paused_behaviour(*overrides.paused_behaviour);
    if (!parsed) return Unexpected{fmt::format("--paused-behaviour: {}", parsed.error())};
    for (auto& route : config.routes) route.while_paused = *parsed;
  }
  if (overrides.stop_grace_ms) {
    if (*overrides.stop_grace_ms > kMaxMs) return Unexpected{std::string{"--stop-grace-ms: at most a day"}};
    config.stop_grace = std::chrono::milliseconds{static_cast<std::int64_t>(*overrides.stop_grace_ms)};
  }
  if (overrides.worker_liveness_ms) {
    if (*overrides.worker_liveness_ms > kMaxMs) return Unexpected{std::string{"--worker-liveness-ms: at most a day"}};
    config.worker_liveness = std::chrono::milliseconds{static_cast<std::int64_t>(*overrides.worker_liveness_ms)};
  }
  return {};
}

Status<std::string> validate_config(const ServiceConfig& config) {
  try {
    validate(config);
  } catch (const ConfigError& error) {
    return Unexpected{error.message};
  }
  return {};
}

Expected<ServiceConfig, std::string> load_config(const std::string& path, const ConfigOverrides& overrides) {
  ServiceConfig config;
  if (!path.empty()) {
    std::ifstream file{path, std::ios::binary};
    if (!file) return Unexpected{fmt::format("{}: cannot open the config file: {}", path, std::strerror(errno))};
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) return Unexpected{fmt::format("{}: cannot read the config file", path)};
    auto parsed = parse_config_json(text.str());
    if (!parsed) return Unexpected{fmt::format("{}: {}", path, parsed.error())};
    config = std::move(*parsed);
  }
  if (auto applied = apply_overrides(config, overrides); !applied) return Unexpected{applied.error()};
  if (auto valid = validate_config(config); !valid) {
    return Unexpected{path.empty() ? valid.error() : fmt::format("{}: {}", path, valid.error())};
  }
  return config;
}

}  // namespace hserver::service
