// Loading, overriding and validating the service configuration.
#include "config_loader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace hserver::service {
namespace {

ServiceConfig parsed(std::string_view text) {
  auto config = parse_config_json(text);
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error());
  return config ? *config : ServiceConfig{};
}

std::string parse_error(std::string_view text) {
  auto config = parse_config_json(text);
  EXPECT_FALSE(config.has_value());
  return config ? std::string{} : config.error();
}

std::string validation_error(const ServiceConfig& config) {
  auto valid = validate_config(config);
  EXPECT_FALSE(valid.has_value());
  return valid ? std::string{} : valid.error();
}

TEST(Config, DefaultsAreValid) {
  EXPECT_TRUE(validate_config(ServiceConfig{}).has_value());
  EXPECT_TRUE(validate_config(parsed("{}")).has_value());
}

TEST(Config, FullFileWithCommentsAndTrailingCommas) {
  const ServiceConfig config = parsed(R"({
    // a comment
    "shm_prefix": "test-1",
    "threads": 4,
    "ring_bytes": 131072,
    "max_workers_per_route": 8,
    "stop_grace_ms": 2500,
    "log": {"level": "debug", "file": "hs.log", "file_max_bytes": 1048576, "file_count": 9, "system": "journald"},
    /* limits */
    "http": {"header_limit": 8192, "body_limit": 1048576, "read_timeout_ms": 1000,
             "write_timeout_ms": 2000, "idle_timeout_ms": 3000, "max_pipelined": 4},
    "routes": [
      {"name": "old", "listen": "127.0.0.1:3188", "mode": "legacy"},
      {"name": "api", "listen": "[::1]:8080", "mode": "http", "request_timeout_ms": 1500, "path_prefix": "/v1/",
       "no_worker_wait_ms": 0, "queue_limit": 10, "worker_in_flight": 2,},
    ],
  })");
  EXPECT_EQ(config.shm_prefix, "test-1");
  EXPECT_EQ(config.threads, 4u);
  EXPECT_EQ(config.ring_bytes, 131072u);
  EXPECT_EQ(config.max_workers_per_route, 8u);
  EXPECT_EQ(config.stop_grace, std::chrono::milliseconds{2500});
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.log_file, "hs.log");
  EXPECT_EQ(config.log_file_max_bytes, 1048576u);
  EXPECT_EQ(config.log_file_count, 9u);
  EXPECT_EQ(config.log_system, "journald");
  EXPECT_EQ(config.http.header_limit, 8192u);
  EXPECT_EQ(config.http.body_limit, 1048576u);
  EXPECT_EQ(config.http.read_timeout, std::chrono::milliseconds{1000});
  EXPECT_EQ(config.http.write_timeout, std::chrono::milliseconds{2000});
  EXPECT_EQ(config.http.idle_timeout, std::chrono::milliseconds{3000});
  EXPECT_EQ(config.http.max_pipelined, 4u);
  ASSERT_EQ(config.routes.size(), 2u);
  EXPECT_EQ(config.routes[0].name, "old");
  EXPECT_EQ(config.routes[0].bind_address, "127.0.0.1");
  EXPECT_EQ(config.routes[0].port, 3188);
  EXPECT_EQ(config.routes[0].mode, RouteMode::legacy);
  EXPECT_EQ(config.routes[0].path_prefix, "/");
  EXPECT_EQ(config.routes[1].name, "api");
  EXPECT_EQ(config.routes[1].path_prefix, "/v1");  // the trailing '/' is dropped
  EXPECT_EQ(config.routes[1].bind_address, "::1");
  EXPECT_EQ(config.routes[1].port, 8080);
  EXPECT_EQ(config.routes[1].mode, RouteMode::http);
  EXPECT_EQ(config.routes[1].request_timeout, std::chrono::milliseconds{1500});
  EXPECT_EQ(config.routes[1].no_worker_wait, std::chrono::milliseconds{0});
  EXPECT_EQ(config.routes[1].queue_limit, 10u);
  EXPECT_EQ(config.routes[1].worker_in_flight, 2u);
  EXPECT_TRUE(validate_config(config).has_value());
}

TEST(Config, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_EQ(parse_error(R"({"thread": 2})"), "thread: unknown key");
  EXPECT_EQ(parse_error(R"({"log": {"lvl": "x"}})"), "log.lvl: unknown key");
  EXPECT_EQ(parse_error(R"({"http": {"body": 1}})"), "http.body: unknown key");
  EXPECT_EQ(parse_error(R"({"routes": [{}, {"port": 1}]})"), "routes[1].port: unknown key");
}

TEST(Config, WrongTypesAreErrorsNamingTheKey) {
  EXPECT_EQ(parse_error(R"({"threads": "2"})"), "threads: expected an integer");
  EXPECT_EQ(parse_error(R"({"threads": 2.5})"), "threads: expected an integer");
  EXPECT_EQ(parse_error(R"({"threads": -1})"), "threads: must not be negative, got -1");
  EXPECT_EQ(parse_error(R"({"shm_prefix": 5})"), "shm_prefix: expected a string");
  EXPECT_EQ(parse_error(R"({"log": "debug"})"), "log: expected an object");
  EXPECT_EQ(parse_error(R"({"routes": {}})"), "routes: expected an array");
  EXPECT_EQ(parse_error(R"({"routes": [1]})"), "routes[0]: expected an object");
  EXPECT_EQ(parse_error(R"({"routes": [{"mode": "fast"}]})"),
            "routes[0].mode: expected \"legacy\" or \"http\", got \"fast\"");
  EXPECT_EQ(parse_error(R"({"routes": [{"listen": 3188}]})"), "routes[0].listen: expected a string");
  EXPECT_EQ(parse_error(R"({"ring_bytes": 4294967296})"), "ring_bytes: must be at most 4294967295, got 4294967296");
  EXPECT_EQ(parse_error("[]"), "config: expected an object");
}

TEST(Config, SyntaxErrorNamesLineAndColumn) {
  const std::string error = parse_error("{\n  \"threads\": 2\n  \"x\": 1\n}");
  EXPECT_EQ(error.rfind("line 3, column 3: invalid JSON", 0), 0u) << error;
}

TEST(Config, ListenAddressForms) {
  auto v4 = parse_listen_address("0.0.0.0:80");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->address, "0.0.0.0");
  EXPECT_EQ(v4->port, 80);
  auto v6 = parse_listen_address("[::]:65535");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->address, "::");
  EXPECT_EQ(v6->port, 65535);
  EXPECT_FALSE(parse_listen_address("127.0.0.1").has_value());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:").has_value());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:65536").has_value());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:-1").has_value());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:80x").has_value());
  EXPECT_FALSE(parse_listen_address("localhost:80").has_value());
  EXPECT_FALSE(parse_listen_address("::1:80").has_value());
  EXPECT_FALSE(parse_listen_address("[127.0.0.1]:80").has_value());
}

TEST(Config, ValidationRules) {
  ServiceConfig two;
  two.routes = {RouteConfig{}, RouteConfig{}};
  two.routes[1].port = 3189;
  EXPECT_EQ(validation_error(two), "routes[1].name: \"default\" is already the name of routes[0]");

  two.routes[1].name = "second";
  two.routes[1].port = 3188;
  EXPECT_EQ(validation_error(two),
            "routes[1].path_prefix: \"/\" on 127.0.0.1:3188 is already served by route 'default'");
  two.routes[1].path_prefix = "/api";
  EXPECT_TRUE(validate_config(two).has_value());  // one port, two prefixes
  two.routes[1].path_prefix = "/";
  two.routes[1].bind_address = "127.0.0.2";
  EXPECT_TRUE(validate_config(two).has_value());  // one port, two addresses: the bind decides

  for (const char* bad : {"api", "/a b", "/a%20b", "/a//b", "/./a", "/a/..", "/a?b", "/\xD0\x90"}) {
    ServiceConfig config;
    config.routes[0].path_prefix = bad;
    EXPECT_EQ(validation_error(config).rfind("routes[0].path_prefix: ", 0), 0u) << bad;
  }
  for (const char* good : {"/", "/api", "/v1/1c-jobs", "/a.b~c_d"}) {
    ServiceConfig config;
    config.routes[0].path_prefix = good;
    EXPECT_TRUE(validate_config(config).has_value()) << good;
  }

  ServiceConfig bad_log_system;
  bad_log_system.log_system = "eventlog";
  EXPECT_EQ(validation_error(bad_log_system), "log.system: \"eventlog\" is not one of none, syslog, journald");
  ServiceConfig tiny_log;
  tiny_log.log_file_max_bytes = 1000;  // would rotate on almost every line
  EXPECT_EQ(validation_error(tiny_log), "log.file_max_bytes: must be 16384 to 1099511627776");
  ServiceConfig no_files;
  no_files.log_file_count = 0;
  EXPECT_EQ(validation_error(no_files), "log.file_count: must be 1 to 1000");

  ServiceConfig zero_port;
  zero_port.routes[0].port = 0;
  EXPECT_EQ(validation_error(zero_port), "routes[0].listen: port must be between 1 and 65535");

  ServiceConfig bad_mode;
  bad_mode.routes[0].mode = static_cast<RouteMode>(7);
  EXPECT_EQ(validation_error(bad_mode), "routes[0].mode: unknown mode");

  ServiceConfig no_routes;
  no_routes.routes.clear();
  EXPECT_EQ(validation_error(no_routes), "routes: at least one route is needed");

  ServiceConfig bad_name;
  bad_name.routes[0].name = "a b";
  EXPECT_NE(validation_error(bad_name).find("routes[0].name"), std::string::npos);
  // The name must fit the registry segment's 47 bytes and carry no '.'.
  bad_name.routes[0].name = std::string(48, 'r');
  EXPECT_NE(validation_error(bad_name).find("routes[0].name"), std::string::npos);
  bad_name.routes[0].name = "a.b";
  EXPECT_NE(validation_error(bad_name).find("routes[0].name"), std::string::npos);
  bad_name.routes[0].name = std::string(47, 'r');
  EXPECT_TRUE(validate_config(bad_name).has_value());

  for (std::uint32_t ring : {0u, 4096u, 65535u, 65537u, 3u << 20}) {
    ServiceConfig config;
    config.ring_bytes = ring;
    EXPECT_EQ(validation_error(config).rfind("ring_bytes: must be a power of two of at least 65536", 0), 0u) << ring;
  }
  ServiceConfig ring_ok;
  ring_ok.ring_bytes = 64 * 1024;
  EXPECT_TRUE(validate_config(ring_ok).has_value());

  ServiceConfig threads;
  threads.threads = 0;
  EXPECT_EQ(validation_error(threads), "threads: must be between 1 and 256");

  ServiceConfig level;
  level.log_level = "verbose";
  EXPECT_EQ(validation_error(level).rfind("log.level:", 0), 0u);

  ServiceConfig prefix;
  prefix.shm_prefix = "a/b";
  EXPECT_EQ(validation_error(prefix).rfind("shm_prefix:", 0), 0u);

  ServiceConfig pipelined;
  pipelined.http.max_pipelined = 0;
  EXPECT_EQ(validation_error(pipelined), "http.max_pipelined: must be at least 1");

  ServiceConfig timeout;
  timeout.routes[0].request_timeout = std::chrono::milliseconds{0};
  EXPECT_EQ(validation_error(timeout), "routes[0].request_timeout_ms: must be at least 1");
}

TEST(Config, MetricsBeyondLoopbackNeedAnAllowListOrCredentials) {
  ServiceConfig config;
  config.metrics_listen = "0.0.0.0:9188";
  EXPECT_EQ(validation_error(config),
            "metrics_listen: 0.0.0.0:9188 is reachable beyond this machine: add \"metrics_allow\" (the addresses of "
            "your monitoring) or \"metrics_auth\" (basic or bearer)");
  config.metrics_listen = "[::]:9188";
  EXPECT_EQ(validation_error(config).rfind("metrics_listen: [::]:9188 is reachable", 0), 0u);

  const ServiceConfig allowed = parsed(R"({"metrics_listen": "10.0.0.5:9188", "metrics_allow": ["10.0.0.0/24"]})");
  EXPECT_EQ(allowed.metrics_access.allow, std::vector<std::string>{"10.0.0.0/24"});
  EXPECT_TRUE(validate_config(allowed).has_value());
  const ServiceConfig authenticated = parsed(
      R"({"metrics_listen": "0.0.0.0:9188", "metrics_auth": {"bearer": ["sha256$)" + std::string(64, 'a') + R"("]}})");
  EXPECT_TRUE(validate_config(authenticated).has_value());
  EXPECT_TRUE(validate_config(parsed(R"({"metrics_listen": "[::1]:9188"})")).has_value());  // loopback: as before

  ServiceConfig bad_block;
  bad_block.metrics_access.allow = {"10.0.0.0/33"};
  EXPECT_EQ(validation_error(bad_block).rfind("metrics_allow[0]: ", 0), 0u) << validation_error(bad_block);
  EXPECT_EQ(parse_error(R"({"metrics_auth": {"basic": {}}})").rfind("metrics_auth.basic: ", 0), 0u);
}

TEST(Config, CredentialHeadersReach1COnlyWhenARouteAsks) {
  EXPECT_FALSE(RouteConfig{}.forward_credentials);
  const ServiceConfig config = parsed(R"({"routes": [{"name": "a", "forward_credentials": true}]})");
  EXPECT_TRUE(config.routes[0].forward_credentials);
}

TEST(Config, OverridesOfTheSingleRoute) {
  ServiceConfig config;
  ConfigOverrides overrides;
  overrides.listen = "[::1]:4000";
  overrides.mode = "http";
  overrides.shm_prefix = "p";
  overrides.log_level = "warn";
  overrides.log_file = "f.log";
  overrides.threads = 3;
  overrides.request_timeout_ms = 100;
  overrides.no_worker_wait_ms = 50;
  ASSERT_TRUE(apply_overrides(config, overrides).has_value());
  EXPECT_EQ(config.routes[0].bind_address, "::1");
  EXPECT_EQ(config.routes[0].port, 4000);
  EXPECT_EQ(config.routes[0].mode, RouteMode::http);
  EXPECT_EQ(config.shm_prefix, "p");
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.log_file, "f.log");
  EXPECT_EQ(config.threads, 3u);
  EXPECT_EQ(config.routes[0].request_timeout, std::chrono::milliseconds{100});
  EXPECT_EQ(config.routes[0].no_worker_wait, std::chrono::milliseconds{50});
}

TEST(Config, ListenOverrideNeedsASingleRoute) {
  ServiceConfig config;
  config.routes.push_back(RouteConfig{});
  ConfigOverrides overrides;
  overrides.listen = "127.0.0.1:1";
  auto applied = apply_overrides(config, overrides);
  ASSERT_FALSE(applied.has_value());
  EXPECT_NE(applied.error().find("single route"), std::string::npos);

  ServiceConfig single;
  overrides.listen = "nowhere";
  applied = apply_overrides(single, overrides);
  ASSERT_FALSE(applied.has_value());
  EXPECT_EQ(applied.error().rfind("--listen:", 0), 0u);
}

TEST(Config, TimeoutOverridesApplyToEveryRoute) {
  ServiceConfig config;
  config.routes.push_back(RouteConfig{});
  ConfigOverrides overrides;
  overrides.request_timeout_ms = 7;
  ASSERT_TRUE(apply_overrides(config, overrides).has_value());
  EXPECT_EQ(config.routes[0].request_timeout, std::chrono::milliseconds{7});
  EXPECT_EQ(config.routes[1].request_timeout, std::chrono::milliseconds{7});
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("hserver-config-test-" + std::to_string(::getpid()) + ".json");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void write(std::string_view text) { std::ofstream{path_} << text; }
  std::filesystem::path path_;
};

TEST_F(ConfigFile, LoadsFileThenOverridesThenValidates) {
  write(R"({"routes": [{"name": "r", "listen": "127.0.0.1:5000"}]})");
  ConfigOverrides overrides;
  overrides.mode = "http";
  auto config = load_config(path_.string(), overrides);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->routes[0].name, "r");
  EXPECT_EQ(config->routes[0].port, 5000);
  EXPECT_EQ(config->routes[0].mode, RouteMode::http);
}

TEST_F(ConfigFile, ErrorsArePrefixedWithThePathAndAreOneLine) {
  write(R"({"routes": [{"name": "r", "listen": "127.0.0.1:5000", "modee": "http"}]})");
  auto config = load_config(path_.string(), {});
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error(), path_.string() + ": routes[0].modee: unknown key");
  EXPECT_EQ(config.error().find('\n'), std::string::npos);
}

TEST_F(ConfigFile, MissingFileIsAnError) {
  auto config = load_config(path_.string() + ".missing", {});
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().find("cannot open the config file"), std::string::npos);
}

TEST(ConfigShm, KeysMapToTheSegmentAccess) {
  const ServiceConfig config = parsed(R"({"shm": {"posix_group": "onec-users", "windows_users": "DOMAIN\\1C Users"}})");
  EXPECT_EQ(config.shm_posix_group, "onec-users");
  EXPECT_EQ(config.shm_windows_users, "DOMAIN\\1C Users");
  EXPECT_TRUE(validate_config(config).has_value());
  EXPECT_TRUE(parsed("{}").shm_windows_users.empty());
}

TEST(ConfigShm, UnknownKeysAndWrongTypesNameTheKey) {
  EXPECT_EQ(parse_error(R"({"shm": {"group": "x"}})"), "shm.group: unknown key");
  EXPECT_EQ(parse_error(R"({"shm": {"windows_users": 5}})"), "shm.windows_users: expected a string");
  EXPECT_EQ(parse_error(R"({"shm": []})"), "shm: expected an object");
}

TEST(ConfigShm, Validation) {
  ServiceConfig config;
  for (const char* good :
       {"Users", "S-1-5-32-545", "NT SERVICE\\1chserver", "user@example.com",
        "\xD0\x9F\xD0\xBE\xD0\xBB\xD1\x8C\xD0\xB7\xD0\xBE\xD0\xB2\xD0\xB0\xD1\x82\xD0\xB5\xD0\xBB\xD0\xB8"}) {
    config.shm_windows_users = good;
    EXPECT_TRUE(validate_config(config).has_value()) << good;
  }
  for (const char* bad : {"a\\b\\c", "\\x", "x\\", " Users", "a:b", "a,b", "a*"}) {
    config.shm_windows_users = bad;
    EXPECT_NE(validation_error(config).find("shm.windows_users"), std::string::npos) << bad;
  }
  config.shm_windows_users.clear();
  for (const char* bad : {"-wheel", "a b", "a/b", "0123456789012345678901234567890123"}) {
    config.shm_posix_group = bad;
    EXPECT_NE(validation_error(config).find("shm.posix_group"), std::string::npos) << bad;
  }
}

TEST(ConfigShm, CommandLineOverrides) {
  ConfigOverrides overrides;
  overrides.shm_posix_group = "onec";
  overrides.shm_windows_users = "Users";
  auto config = load_config("", overrides);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->shm_posix_group, "onec");
  EXPECT_EQ(config->shm_windows_users, "Users");
  overrides.shm_windows_users = "a:b";
  EXPECT_FALSE(load_config("", overrides).has_value());
}

TEST(ConfigMemoryBudget, FileCommandLineAndTheBodyLimitsItMustHold) {
  EXPECT_EQ(ServiceConfig{}.memory_budget_bytes, 256ull << 20);
  ServiceConfig config = parsed(R"({"memory_budget_bytes": 50000000})");
  EXPECT_EQ(config.memory_budget_bytes, 50'000'000u);
  EXPECT_NE(validation_error(config).find("memory_budget_bytes"), std::string::npos);  // < 64 MiB body_limit
  config.http.body_limit = 1000;
  for (RouteConfig& route : config.routes) route.http.body_limit = 1000;
  EXPECT_TRUE(validate_config(config).has_value());
  config.routes[0].http.body_limit = 50'000'001;  // one route's own limit counts too
  const std::string error = validation_error(config);
  EXPECT_NE(error.find("memory_budget_bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("route 'default'"), std::string::npos) << error;
  EXPECT_NE(parse_error(R"({"memory_budget_bytes": "big"})").find("memory_budget_bytes"), std::string::npos);

  ConfigOverrides overrides;
  overrides.memory_budget_bytes = 512ull << 20;
  auto loaded = load_config("", overrides);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_EQ(loaded->memory_budget_bytes, 512ull << 20);
}

TEST(ConfigExample, ShippedExampleIsValid) {
  auto config = load_config(HSERVER_EXAMPLE_CONFIG, {});
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_FALSE(config->routes.empty());
}

TEST(ConfigAuthentication, KeysDefaultsAndLimits) {
  const CredentialCheckConfig defaults = parsed("{}").credential_checks;
  EXPECT_EQ(defaults.verify_threads, 1u);
  EXPECT_EQ(defaults.verify_queue, 16u);
  EXPECT_EQ(defaults.max_failures, 10u);
  EXPECT_EQ(defaults.failure_window, std::chrono::seconds{60});
  EXPECT_EQ(defaults.cache_ttl, std::chrono::seconds{300});

  const ServiceConfig config = parsed(R"({"authentication": {"verify_threads": 2, "verify_queue": 4,
      "max_failures": 0, "failure_window_s": 600, "tracked_addresses": 50, "cache_ttl_s": 0, "cache_entries": 8}})");
  const CredentialCheckConfig& checks = config.credential_checks;
  EXPECT_EQ(checks.verify_threads, 2u);
  EXPECT_EQ(checks.verify_queue, 4u);
  EXPECT_EQ(checks.max_failures, 0u);
  EXPECT_EQ(checks.failure_window, std::chrono::seconds{600});
  EXPECT_EQ(checks.tracked_addresses, 50u);
  EXPECT_EQ(checks.cache_ttl, std::chrono::seconds{0});
  EXPECT_EQ(checks.cache_entries, 8u);
  EXPECT_TRUE(validate_config(config).has_value());

  EXPECT_EQ(parse_error(R"({"authentication": {"threads": 2}})"), "authentication.threads: unknown key");
  ServiceConfig bad;
  bad.credential_checks.verify_threads = 0;
  EXPECT_EQ(validation_error(bad), "authentication.verify_threads: must be 1 to 16");
  bad = ServiceConfig{};
  bad.credential_checks.verify_queue = 0;
  EXPECT_EQ(validation_error(bad), "authentication.verify_queue: must be 1 to 100000");
  bad = ServiceConfig{};
  bad.credential_checks.failure_window = std::chrono::seconds{0};
  EXPECT_EQ(validation_error(bad), "authentication.failure_window_s: must be 1 to 86400");
  bad = ServiceConfig{};
  bad.credential_checks.tracked_addresses = 0;
  EXPECT_EQ(validation_error(bad), "authentication.tracked_addresses: must be 1 to 10000000");
}

TEST(ConfigNoFile, DefaultsPlusOverrides) {
  ConfigOverrides overrides;
  overrides.listen = "127.0.0.1:3200";
  auto config = load_config("", overrides);
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->routes[0].port, 3200);
  overrides.threads = 0;
  EXPECT_FALSE(load_config("", overrides).has_value());
}

}  // namespace
}  // namespace hserver::service

namespace hserver::service {
namespace {

TEST(ConfigSecurity, LegacyOnlyWhenAskedFor) {
  EXPECT_EQ(ServiceConfig{}.routes[0].mode, RouteMode::http);
  EXPECT_EQ(parsed(R"({"routes": [{"name": "r"}]})").routes[0].mode, RouteMode::http);
}

TEST(ConfigSecurity, AuthAllowTlsAndRouteLimitsAreRead) {
  const ServiceConfig config = parsed(R"({
    "http": {"body_limit": 1000, "max_connections": 50, "max_requests_per_connection": 7},
    "routes": [{
      "name": "api", "listen": "0.0.0.0:8443",
      "auth": {"basic": [{"user": "exchange",
                          "password_hash": "sha256$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}],
               "bearer": ["sha256$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
               "realm": "Обмен"},
      "allow": ["10.0.0.0/8", "::1"],
      "tls": {"certificate": "cert.pem", "private_key": "key.pem"},
      "http": {"body_limit": 5000}
    }]
  })");
  const RouteConfig& route = config.routes[0];
  ASSERT_EQ(route.access.basic.size(), 1u);
  EXPECT_EQ(route.access.basic[0].name, "exchange");
  EXPECT_EQ(route.access.bearer.size(), 1u);
  EXPECT_EQ(route.access.realm, "Обмен");
  EXPECT_EQ(route.access.allow, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(route.tls.certificate, "cert.pem");
  EXPECT_EQ(route.http.body_limit, 5000u);     // the route's own
  EXPECT_EQ(route.http.max_connections, 50u);  // the top level's
  EXPECT_EQ(route.http.max_requests_per_connection, 7u);
  EXPECT_TRUE(validate_config(config).has_value());  // beyond loopback, but with authentication
}

TEST(ConfigSecurity, BeyondLoopbackWithoutAuthenticationIsRefused) {
  ServiceConfig open;
  open.routes[0].bind_address = "0.0.0.0";
  EXPECT_EQ(validation_error(open).rfind("routes[0].listen: 0.0.0.0 is reachable beyond this machine and the route "
                                         "has no authentication",
                                         0),
            0u)
      << validation_error(open);
  open.routes[0].access.insecure_unauthenticated_remote = true;  // said out loud
  EXPECT_TRUE(validate_config(open).has_value());
  ServiceConfig v6;
  v6.routes[0].bind_address = "::1";
  EXPECT_TRUE(validate_config(v6).has_value());  // loopback
}

TEST(ConfigSecurity, BadEntriesAreNamedWithTheirRoute) {
  auto invalid = [](std::string_view text) { return validation_error(parsed(text)); };
  EXPECT_EQ(invalid(R"({"routes": [{"allow": ["10.0.0.0/8", "x"]}]})").rfind("routes[0].allow[1]: ", 0), 0u);
  EXPECT_EQ(invalid(R"({"routes": [{"auth": {"basic": [{"user": "u", "password_hash": "secret"}]}}]})")
                .rfind("routes[0].auth.basic[0].password_hash: ", 0),
            0u);
  EXPECT_EQ(invalid(R"({"routes": [{"tls": {"certificate": "c.pem"}}]})"),
            "routes[0].tls: certificate and private_key go together");
  EXPECT_EQ(parse_error(R"({"routes": [{"auth": {"bearer": "x"}}]})"),
            "routes[0].auth.bearer: expected an array of token hashes");
  EXPECT_EQ(parse_error(R"({"routes": [{"insecure_unauthenticated_remote": 1}]})"),
            "routes[0].insecure_unauthenticated_remote: expected true or false");
}

TEST(ConfigSecurity, RoutesSharingAPortShareConnectionLimitsAndTls) {
  ServiceConfig two;
  two.routes = {RouteConfig{}, RouteConfig{}};
  two.routes[1].name = "second";
  two.routes[1].path_prefix = "/second";
  two.routes[1].http.body_limit = 10;  // per route: fine
  EXPECT_TRUE(validate_config(two).has_value());
  two.routes[1].http.max_connections = 10;
  EXPECT_EQ(validation_error(two).rfind("routes[1].http: routes sharing 127.0.0.1:3188 must have the same", 0), 0u);
  two.routes[1].http.max_connections = two.routes[0].http.max_connections;
  two.routes[1].tls = TlsConfig{"c.pem", "k.pem"};
  EXPECT_EQ(validation_error(two),
            "routes[1].tls: routes sharing 127.0.0.1:3188 must have the same tls as route 'default'");
}

}  // namespace
}  // namespace hserver::service
